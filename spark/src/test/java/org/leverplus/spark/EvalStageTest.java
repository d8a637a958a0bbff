package org.leverplus.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leverplus.cli.LeverCli;
import org.leverplus.torch.TorchRuntime;
import org.leverplus.vlm.model.TinySnapshotWriter;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Distributed {@code lever eval} in local[2,4]: the journal and the results equal the one-machine command's. */
class EvalStageTest {
    static JavaSparkContext sc;
    @TempDir Path dir;

    @BeforeAll
    static void start() {
        sc = new JavaSparkContext(new SparkConf().setMaster("local[2,4]").setAppName("lever-eval-test")
                .set("spark.ui.enabled", "false").set("spark.driver.host", "127.0.0.1"));
    }

    @AfterAll
    static void stop() {
        if (sc != null) sc.stop();
    }

    List<String> args(Path snap, Path v, Path out) {
        Path f = v.resolve("features");
        return new ArrayList<>(List.of("--data-dir", v.resolve("data").toString(), "--train-images", v.resolve("images/train").toString(),
                "--val-images", v.resolve("images/val").toString(), "--snapshot", snap.toString(), "--methods", "zero,random,t2t",
                "--shots", "1,2", "--limit", "5", "--num-beams", "1", "--bootstrap", "200", "--permutations", "200", "--chunk", "2",
                "--clip-train-text", f.resolve("clip-text-train.safetensors").toString(), "--clip-val-text", f.resolve("clip-text-val.safetensors").toString(),
                "--out", out.toString()));
    }

    @Test
    void distributedEvaluationEqualsTheOneMachineRun() throws Exception {
        TorchRuntime.init();
        Path tok = StageTestSupport.qwenTokenizer(dir);
        Path snap = dir.resolve("tiny");
        TinySnapshotWriter.write(snap, TinySnapshotWriter.tiny(), TinySnapshotWriter.Layout.NEW, 3, tok);
        Path v = dir.resolve("vqa");
        assertEquals(0, LeverCli.commandLine().execute("eval", "make-tiny-data", "--out", v.toString(), "--dim", "16"));

        Path one = dir.resolve("one"), spark = dir.resolve("spark");
        List<String> a = args(snap, v, one);
        a.add(0, "eval");
        assertEquals(0, LeverCli.commandLine().execute(a.toArray(String[]::new)));

        List<String> b = args(snap, v, spark);
        b.add(0, "eval");
        String marker = dir.resolve("failed-once").toString();
        DistributedRun.Summary s = LeverSpark.run(sc, b.toArray(String[]::new), r -> new DistributedRunTest.FailOnce(r, 2, marker), null);
        assertTrue(Files.exists(Path.of(marker)), "a task failed once and was retried");
        assertEquals(5 * 5, s.records(), "zero + random@1,2 + t2t@1,2 over 5 questions");
        assertArrayEquals(Files.readAllBytes(one.resolve("journal.jsonl")), Files.readAllBytes(spark.resolve("journal.jsonl")));
        assertEquals(Files.readString(one.resolve("eval.json")), Files.readString(spark.resolve("eval.json")));
        assertTrue(Files.exists(spark.resolve("report.html")));
        assertFalse(Files.exists(spark.resolve(EvalStage.PARTS)), "chunk files removed");

        // a rerun finds everything journaled: no task runs, the outputs stay the same
        DistributedRun.Summary again = LeverSpark.run(sc, b.toArray(String[]::new), null);
        assertEquals(0, again.chunks());
        assertEquals(Files.readString(one.resolve("eval.json")), Files.readString(spark.resolve("eval.json")));
    }
}
