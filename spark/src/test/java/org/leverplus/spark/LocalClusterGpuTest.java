package org.leverplus.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Spark's local-cluster mode (a Master, a Worker and a separate executor JVM on this machine) with a fake GPU
 * discovery script announcing GPUs 0 and 1: every task gets exactly one GPU address, concurrent tasks get different
 * ones, and the task's device follows its address.
 */
class LocalClusterGpuTest {
    @TempDir Path dir;

    /** Returns the task's device and how many tasks held each device at once (from marker files). */
    record DeviceProbe(String dir) implements ChunkRunner {
        @Override public List<String> run(Chunk c, String device) throws Exception {
            Path busy = Path.of(dir, device);
            Files.createFile(busy); // fails if another running task holds the same device
            try {
                Thread.sleep(1500);
            } finally {
                Files.delete(busy);
            }
            return List.of(device);
        }
    }

    @Test
    void eachTaskGetsItsOwnGpuAddress() throws Exception {
        Path script = dir.resolve("gpus.sh");
        Files.writeString(script, "#!/bin/sh\necho '{\"name\": \"gpu\", \"addresses\": [\"0\", \"1\"]}'\n");
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
        Path busy = Files.createDirectories(dir.resolve("busy"));
        SparkConf conf = new SparkConf().setMaster("local-cluster[1,2,1024]").setAppName("lever-gpu-test")
                .set("spark.ui.enabled", "false").set("spark.driver.host", "127.0.0.1")
                .set("spark.executor.extraClassPath", System.getProperty("java.class.path"))
                .set("spark.executor.extraJavaOptions", "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED --add-opens=java.base/java.nio=ALL-UNNAMED --add-opens=java.base/java.lang.invoke=ALL-UNNAMED --add-opens=java.base/java.util=ALL-UNNAMED")
                .set("spark.worker.resource.gpu.amount", "2")
                .set("spark.worker.resource.gpu.discoveryScript", script.toString())
                .set("spark.executor.resource.gpu.amount", "2")
                .set("spark.task.resource.gpu.amount", "1")
                .set("spark.executor.cores", "2");
        Path out = dir.resolve("devices.jsonl");
        try (JavaSparkContext sc = new JavaSparkContext(conf)) {
            DistributedRun.Summary s = DistributedRun.run(sc, "gpu probe", Chunk.split(4, 1), Map.of("stage", "probe"),
                    new DeviceProbe(busy.toString()), out, false, "cpu", false, null);
            assertEquals(4, s.computed());
        }
        List<String> devices = Files.readAllLines(out);
        assertEquals(4, devices.size());
        Set<String> seen = new HashSet<>(devices);
        assertTrue(Set.of("cuda:0", "cuda:1").containsAll(seen), "every task ran on one of the discovered GPUs: " + devices);
        assertEquals(2, seen.size(), "both GPUs were used: " + devices);
    }
}
