package org.leverplus.spark;

import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leverplus.torch.TorchRuntime;
import org.leverplus.vlm.model.TinySnapshotWriter;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Distributed {@code lever generate sft} in local[2,4] on the tiny Qwen2.5-VL snapshot and the datagen fixtures (the
 * items and pools the core tests use): the SFT JSON and its .meta.json equal the one-machine command's byte for byte,
 * a task failing once is retried without duplicating anchors, and a failed run rerun computes only the missing chunks.
 */
class SftStageTest {
    static final Path DATA = Path.of("../src/test/resources/datagen").toAbsolutePath().normalize();
    static JavaSparkContext sc;
    @TempDir static Path shared;
    static Path snap;
    @TempDir Path dir;

    @BeforeAll
    static void start() throws Exception {
        TorchRuntime.init();
        Path tok = StageTestSupport.qwenTokenizer(shared);
        snap = shared.resolve("tiny");
        TinySnapshotWriter.write(snap, TinySnapshotWriter.tiny(), TinySnapshotWriter.Layout.NEW, 3, tok);
        sc = StageTestSupport.context("lever-sft-test");
    }

    @AfterAll
    static void stop() {
        if (sc != null) sc.stop();
    }

    List<String> args(Path out, String... more) {
        return StageTestSupport.concat(List.of("generate", "sft", "--snapshot", snap.toString(), "--items", DATA.resolve("items.jsonl").toString(),
                "--pools", DATA.resolve("pools.json").toString(), "--beam-size", "2", "--order", "right", "--per-beam-topk", "smallest",
                "--out", out.toString()), more);
    }

    Path oneMachine() {
        Path one = dir.resolve("one").resolve("sft.json");
        StageTestSupport.lever(args(one));
        return one;
    }

    void assertSameFiles(Path one, Path out) throws Exception {
        assertArrayEquals(Files.readAllBytes(one), Files.readAllBytes(out));
        assertEquals(Files.readString(one.resolveSibling("sft.meta.json")), Files.readString(out.resolveSibling("sft.meta.json")));
        assertFalse(Files.exists(out.resolveSibling("sft.json.journal")), "journal removed");
        assertFalse(Files.exists(out.resolveSibling("sft.json.parts")), "chunk files removed");
    }

    @Test
    void distributedSftEqualsTheOneMachineRunAndARetriedTaskAddsNoAnchors() throws Exception {
        Files.createDirectories(dir.resolve("spark"));
        Path out = dir.resolve("spark").resolve("sft.json");
        String marker = dir.resolve("failed-once").toString();
        DistributedRun.Summary s = LeverSpark.run(sc, args(out, "--anchors-per-task", "1").toArray(String[]::new),
                r -> new DistributedRunTest.FailOnce(r, 1, marker), null);
        assertTrue(Files.exists(Path.of(marker)), "the planted failure happened");
        assertEquals(3, s.chunks(), "the fixture's 3 anchors, one per task");
        assertEquals(3, s.records(), "every anchor journaled exactly once");
        assertEquals(1, s.modelLoads());
        assertSameFiles(oneMachine(), out);
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> LeverSpark.run(sc, args(out, "--anchors-per-task", "0").toArray(String[]::new), null));
        assertTrue(bad.getMessage().contains("--anchors-per-task"), bad.getMessage());
    }

    @Test
    void aFailedRunRerunComputesOnlyTheMissingChunks() throws Exception {
        Files.createDirectories(dir.resolve("spark"));
        Path out = dir.resolve("spark").resolve("sft.json");
        String[] argv = args(out, "--anchors-per-task", "1").toArray(String[]::new);
        assertThrows(Exception.class, () -> LeverSpark.run(sc, argv, r -> new StageTestSupport.FailLast(r, 2, 3, ChunkStore.beside(out)), null));
        assertFalse(Files.exists(out));
        int before = StageTestSupport.committed(ChunkStore.beside(out), 3);
        assertEquals(2, before, "the other chunks stay committed");
        Path rec = Files.createDirectories(dir.resolve("computed"));
        DistributedRun.Summary s = LeverSpark.run(sc, argv, r -> new DistributedRunTest.Recording(r, rec.toString()), null);
        assertEquals(before, s.resumed());
        assertEquals(3 - before, StageTestSupport.computed(rec));
        assertSameFiles(oneMachine(), out);
    }
}
