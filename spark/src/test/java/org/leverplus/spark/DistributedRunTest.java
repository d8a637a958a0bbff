package org.leverplus.spark;

import org.apache.spark.SparkConf;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leverplus.cli.Stages;
import org.leverplus.vlm.engine.VlmRun;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Distributed {@code vlm score|generate} in Spark's {@code local[2,4]} mode (2 task slots, 4 attempts per task) on the
 * tiny Qwen2.5-VL snapshot: the output is byte-identical to the one-machine command, exactly once under task retries
 * and after a failed run is rerun, and the model is loaded once per executor.
 */
class DistributedRunTest {
    static final Path TINY = Path.of("../src/test/resources/vlm/tiny").toAbsolutePath().normalize();
    static JavaSparkContext sc;
    @TempDir Path dir;

    @BeforeAll
    static void start() {
        sc = new JavaSparkContext(new SparkConf().setMaster("local[2,4]").setAppName("lever-test")
                .set("spark.ui.enabled", "false").set("spark.driver.host", "127.0.0.1"));
    }

    @AfterAll
    static void stop() {
        if (sc != null) sc.stop();
    }

    /** {@code copies} copies of a fixture request file (ids made unique), beside the pixels it names. */
    Path requests(String fixture, int copies) throws Exception {
        Files.copy(TINY.resolve("goldens.safetensors"), dir.resolve("goldens.safetensors"));
        List<String> out = new ArrayList<>();
        List<String> lines = Files.readAllLines(TINY.resolve(fixture)).stream().filter(l -> !l.isBlank()).toList();
        for (int c = 0; c < copies; c++) {
            for (String l : lines) out.add(l.replaceFirst("\"id\": \"([^\"]+)\"", "\"id\": \"$1-" + c + "\""));
        }
        Path p = dir.resolve(fixture);
        Files.write(p, out);
        return p;
    }

    String[] args(String stage, Path requests, Path out, String... extra) {
        List<String> a = new ArrayList<>(List.of(stage.split(" ")));
        a.addAll(List.of("--snapshot", TINY.resolve("snapshot-legacy").toString(), "--requests", requests.toString(),
                "--out", out.toString()));
        a.addAll(List.of(extra));
        return a.toArray(String[]::new);
    }

    Path oneMachine(String stage, String[] argv, Path out) throws Exception {
        String[] flags = java.util.Arrays.copyOfRange(argv, 2, argv.length);
        for (int i = 0; i < flags.length; i++) if (flags[i].equals("--out")) flags[i + 1] = out.toString();
        Stages.Vlm s = Stages.vlm(stage, flags);
        if (s.kind() == org.leverplus.vlm.engine.VlmJob.Kind.SCORE) VlmRun.score(s.snapshot(), s.requests(), out, s.settings(), null);
        else VlmRun.generate(s.snapshot(), s.requests(), out, s.settings(), s.generation(), null);
        return out;
    }

    @Test
    void scoreEqualsTheOneMachineRunAndLoadsTheModelOnce() throws Exception {
        Path req = requests("requests.jsonl", 4), out = dir.resolve("spark.jsonl");
        String[] argv = args("vlm score", req, out, "--chunk", "3");
        DistributedRun.Summary s = LeverSpark.run(sc, argv, null);
        assertEquals(4, s.chunks());
        assertEquals(4, s.computed());
        assertEquals(12, s.records());
        assertEquals(1, s.modelLoads(), "one executor JVM (local mode): the model is loaded once for 4 tasks");
        Path ref = oneMachine("vlm score", argv, dir.resolve("one.jsonl"));
        assertArrayEquals(Files.readAllBytes(ref), Files.readAllBytes(out));
        assertFalse(Files.exists(dir.resolve("spark.jsonl.parts")), "chunk files removed after the merge");
    }

    @Test
    void generateEqualsTheOneMachineRun() throws Exception {
        Path req = requests("generate.jsonl", 5), out = dir.resolve("gen.jsonl");
        String[] argv = args("vlm generate", req, out, "--chunk", "2", "--num-beams", "1", "--max-new-tokens", "4");
        DistributedRun.Summary s = LeverSpark.run(sc, argv, null);
        assertEquals(3, s.chunks());
        Path ref = oneMachine("vlm generate", argv, dir.resolve("one.jsonl"));
        assertArrayEquals(Files.readAllBytes(ref), Files.readAllBytes(out));
    }

    /** Throws the first time it sees chunk {@code failing} (marker file), then behaves. */
    record FailOnce(ChunkRunner inner, int failing, String marker) implements ChunkRunner {
        @Override public List<String> run(Chunk c, String device) throws Exception {
            if (c.index() == failing && Files.notExists(Path.of(marker))) {
                Files.createFile(Path.of(marker));
                throw new IllegalStateException("planted failure in chunk " + c.index());
            }
            return inner.run(c, device);
        }
    }

    /** Always throws on chunk {@code failing}: the job fails, as when a driver dies half-way. */
    record FailAlways(ChunkRunner inner, int failing) implements ChunkRunner {
        @Override public List<String> run(Chunk c, String device) throws Exception {
            if (c.index() == failing) throw new IllegalStateException("planted failure in chunk " + c.index());
            return inner.run(c, device);
        }
    }

    /** Records which chunks it computed (one marker file per computation). */
    record Recording(ChunkRunner inner, String dir) implements ChunkRunner {
        @Override public List<String> run(Chunk c, String device) throws Exception {
            Files.createTempFile(Path.of(dir), "chunk-" + c.index() + "-", "");
            return inner.run(c, device);
        }
    }

    @Test
    void aTaskThatFailsOnceIsRetriedAndTheOutputIsStillExactlyOnce() throws Exception {
        Path req = requests("requests.jsonl", 4), out = dir.resolve("spark.jsonl");
        String[] argv = args("vlm score", req, out, "--chunk", "3");
        String marker = dir.resolve("failed-once").toString();
        DistributedRun.Summary s = LeverSpark.run(sc, argv, r -> new FailOnce(r, 1, marker), null);
        assertTrue(Files.exists(Path.of(marker)), "the planted failure happened");
        assertEquals(12, s.records());
        Path ref = oneMachine("vlm score", argv, dir.resolve("one.jsonl"));
        assertArrayEquals(Files.readAllBytes(ref), Files.readAllBytes(out));
    }

    @Test
    void aFailedRunRerunComputesOnlyTheMissingChunksAndGivesTheSameOutput() throws Exception {
        Path req = requests("requests.jsonl", 4), out = dir.resolve("spark.jsonl");
        String[] argv = args("vlm score", req, out, "--chunk", "3");
        assertThrows(Exception.class, () -> LeverSpark.run(sc, argv, r -> new FailAlways(r, 2), null));
        assertFalse(Files.exists(out), "no output from a failed run");
        ChunkStore store = ChunkStore.beside(out);
        // Spark fails the job as soon as one task has failed for good; the job's other tasks are cancelled
        // asynchronously and may still be writing (their AtomicOutput removes its temporary file when they stop), so
        // the property is "no temporary file once every task has stopped": wait for that, at most 30 s
        long deadline = System.nanoTime() + 30_000_000_000L;
        boolean clean;
        do {
            try (Stream<Path> s = Files.list(store.dir())) {
                clean = s.noneMatch(p -> p.getFileName().toString().endsWith(".tmp"));
            }
            if (!clean) Thread.sleep(50);
        } while (!clean && System.nanoTime() < deadline);
        assertTrue(clean, "no temporary files left once the failed job's tasks stopped");
        assertFalse(store.committed(2));
        int before = 0;   // counted once every task has stopped (a cancelled task may still commit its chunk)
        for (int i = 0; i < 4; i++) if (store.committed(i)) before++;
        assertTrue(before >= 1, "chunks committed before the failure stay committed");
        Path rec = Files.createDirectories(dir.resolve("computed"));
        DistributedRun.Summary s = LeverSpark.run(sc, argv, r -> new Recording(r, rec.toString()), null);
        assertEquals(before, s.resumed());
        try (Stream<Path> f = Files.list(rec)) {
            assertEquals(4 - before, f.count(), "only the chunks not committed are computed again");
        }
        Path ref = oneMachine("vlm score", argv, dir.resolve("one.jsonl"));
        assertArrayEquals(Files.readAllBytes(ref), Files.readAllBytes(out));
    }

    @Test
    void chunksOfAnotherRunAreRefusedAndOutputsAreNotOverwritten() throws Exception {
        Path req = requests("requests.jsonl", 2), out = dir.resolve("spark.jsonl");
        assertThrows(Exception.class, () -> LeverSpark.run(sc, args("vlm score", req, out, "--chunk", "2"),
                r -> new FailAlways(r, 1), null));
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> LeverSpark.run(sc, args("vlm score", req, out, "--chunk", "3"), null));
        assertTrue(e.getMessage().contains("plan.json") && e.getMessage().contains("\"flags\""), e.getMessage());
        ChunkStore.beside(out).delete();
        LeverSpark.run(sc, args("vlm score", req, out, "--chunk", "3"), null);
        Exception again = assertThrows(java.nio.file.FileAlreadyExistsException.class,
                () -> LeverSpark.run(sc, args("vlm score", req, out, "--chunk", "3"), null));
        assertTrue(again.getMessage().contains("--overwrite"), again.getMessage());
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> LeverSpark.run(sc, args("vlm score", req, out, "--chunk", "3", "--frobnicate"), null));
        assertTrue(bad.getMessage().startsWith("lever vlm score: ") && bad.getMessage().contains("--frobnicate"), bad.getMessage());
    }
}
