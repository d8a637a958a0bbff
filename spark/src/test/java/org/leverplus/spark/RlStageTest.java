package org.leverplus.spark;

import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leverplus.rlgen.RlGenFixture;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Distributed {@code lever generate rl} in local[2,4] on the tiny Qwen2.5-VL snapshot, a tiny selector and the
 * fixtures of the core generate-rl test ({@link RlGenFixture}, from the core's test jar) (7 items, 5 anchors, one without annotations): the RL JSON equals the
 * one-machine command's byte for byte, a task failing once is retried without duplicating queries, and a failed run
 * rerun computes only the missing chunks.
 */
class RlStageTest {
    static JavaSparkContext sc;
    @TempDir static Path shared;
    static Path snap, items, emb, ckpt, pools;
    @TempDir Path dir;

    @BeforeAll
    static void start() throws Exception {
        Path tok = StageTestSupport.qwenTokenizer(shared);
        RlGenFixture f = RlGenFixture.write(shared, Path.of(".."), tok);   // the core test's inputs (core test jar)
        snap = f.snap();
        items = f.items();
        emb = f.emb();
        ckpt = f.ckpt();
        pools = f.pools();
        sc = StageTestSupport.context("lever-rl-test");
    }

    @AfterAll
    static void stop() {
        if (sc != null) sc.stop();
    }

    /** The core test's flags; the prefix cache is off there too (it changes the last float bits across chunks). */
    List<String> args(Path out) {
        return List.of("generate", "rl", "--items", items.toString(), "--pools", pools.toString(), "--checkpoint", ckpt.toString(),
                "--embeddings", emb.toString(), "--snapshot", snap.toString(), "--out", out.toString(), "--chunk", "2", "--no-prefix-cache");
    }

    Path oneMachine() throws Exception {
        Path one = Files.createDirectories(dir.resolve("one")).resolve("rl.json");
        StageTestSupport.lever(args(one));
        return one;
    }

    @Test
    void distributedRlDataEqualsTheOneMachineRunAndARetriedTaskAddsNoQueries() throws Exception {
        Files.createDirectories(dir.resolve("spark"));
        Path out = dir.resolve("spark").resolve("rl.json");
        String marker = dir.resolve("failed-once").toString();
        DistributedRun.Summary s = LeverSpark.run(sc, args(out).toArray(String[]::new), r -> new DistributedRunTest.FailOnce(r, 1, marker), null);
        assertTrue(Files.exists(Path.of(marker)), "the planted failure happened");
        assertEquals(3, s.chunks(), "5 queries in chunks of 2");
        assertEquals(5, s.records(), "every query journaled exactly once (one skipped for want of annotations)");
        assertArrayEquals(Files.readAllBytes(oneMachine()), Files.readAllBytes(out));
        assertFalse(Files.exists(out.resolveSibling("rl.json.journal.jsonl")), "journal removed");
        assertFalse(Files.exists(out.resolveSibling("rl.json.parts")), "chunk files removed");
    }

    @Test
    void aFailedRunRerunComputesOnlyTheMissingChunks() throws Exception {
        Files.createDirectories(dir.resolve("spark"));
        Path out = dir.resolve("spark").resolve("rl.json");
        String[] argv = args(out).toArray(String[]::new);
        assertThrows(Exception.class, () -> LeverSpark.run(sc, argv, r -> new StageTestSupport.FailLast(r, 2, 3, ChunkStore.beside(out)), null));
        assertFalse(Files.exists(out));
        int before = StageTestSupport.committed(ChunkStore.beside(out), 3);
        assertEquals(2, before, "the other chunks stay committed");
        Path rec = Files.createDirectories(dir.resolve("computed"));
        DistributedRun.Summary s = LeverSpark.run(sc, argv, r -> new DistributedRunTest.Recording(r, rec.toString()), null);
        assertEquals(before, s.resumed());
        assertEquals(3 - before, StageTestSupport.computed(rec));
        assertArrayEquals(Files.readAllBytes(oneMachine()), Files.readAllBytes(out));
    }
}
