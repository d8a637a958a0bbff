package org.leverplus.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.leverplus.cli.LeverCli;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** What the stage tests share: a local[2,4] context, Qwen's tokenizer, the one-machine command, and counting computed chunks. */
final class StageTestSupport {
    private StageTestSupport() {}

    static JavaSparkContext context(String name) {
        return new JavaSparkContext(new SparkConf().setMaster("local[2,4]").setAppName(name)
                .set("spark.ui.enabled", "false").set("spark.driver.host", "127.0.0.1"));
    }

    /** Qwen's tokenizer.json (the core's test resource, uncompressed) written into {@code dir}. */
    static Path qwenTokenizer(Path dir) throws IOException {
        Path tok = dir.resolve("tokenizer.json");
        try (InputStream in = new GZIPInputStream(Files.newInputStream(Path.of("../src/test/resources/org/leverplus/vlm/qwen25-tokenizer.json.gz")))) {
            Files.copy(in, tok);
        }
        return tok;
    }

    /** Runs {@code lever <argv>} in this JVM and fails with its stderr when it exits non-zero. */
    static void lever(List<String> argv) {
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        var cl = LeverCli.commandLine();
        cl.setErr(new PrintWriter(err, true));
        int code = cl.execute(argv.toArray(String[]::new));
        assertEquals(0, code, "lever " + argv + ": " + err);
    }

    static List<String> concat(List<String> a, String... b) {
        List<String> out = new ArrayList<>(a);
        out.addAll(List.of(b));
        return out;
    }

    /** How many chunk computations the {@link DistributedRunTest.Recording} runner recorded in {@code dir}. */
    static long computed(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.count();
        }
    }

    /**
     * Fails every attempt of chunk {@code failing}, but only once every other chunk is committed: the run then fails
     * with exactly the other chunks committed and no task still running (as when a driver dies near the end).
     */
    record FailLast(ChunkRunner inner, int failing, int chunks, ChunkStore store) implements ChunkRunner {
        @Override public List<String> run(Chunk c, String device) throws Exception {
            if (c.index() != failing) return inner.run(c, device);
            long until = System.nanoTime() + 300_000_000_000L;
            for (int i = 0; i < chunks; i++) {
                while (i != failing && !store.committed(i)) {
                    if (System.nanoTime() > until) throw new IllegalStateException("chunk " + i + " never committed");
                    Thread.sleep(50);
                }
            }
            throw new IllegalStateException("planted failure in chunk " + c.index());
        }
    }

    /** The committed chunks of a store (after a failed run). */
    static int committed(ChunkStore store, int chunks) {
        int n = 0;
        for (int i = 0; i < chunks; i++) if (store.committed(i)) n++;
        return n;
    }
}
