package org.leverplus.spark;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leverplus.data.Embeddings;
import org.leverplus.selector.PointerSelector;
import org.leverplus.selector.SelectorCheckpoint;
import org.leverplus.selector.SelectorConfig;
import org.leverplus.torch.TensorScope;
import org.leverplus.torch.TorchRuntime;
import org.leverplus.vlm.model.TinySnapshotWriter;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Distributed {@code lever generate rl} in local[2,4] on the tiny Qwen2.5-VL snapshot, a tiny selector and the
 * fixtures of the core generate-rl test (7 items, 5 anchors, one without annotations): the RL JSON equals the
 * one-machine command's byte for byte, a task failing once is retried without duplicating queries, and a failed run
 * rerun computes only the missing chunks.
 */
class RlStageTest {
    static final Path IMAGES = Path.of("../src/test/resources/org/leverplus/vlm/image").toAbsolutePath().normalize();
    static final String[] PICS = {"rgb-84x56.png", "rgb-112x84.png", "rgb-70x50.png", "gray-56x56.png"};
    static final String[][] QA = {{"What is on the plate?", "pizza"}, {"What color is the bus?", "red"},
            {"How many dogs are there?", "2"}, {"Is it raining?", "yes"}, {"What sport is this?", "tennis"},
            {"What is the man holding?", "umbrella"}, {"Where is the cat?", "on the bed"}};
    static JavaSparkContext sc;
    @TempDir static Path shared;
    static Path snap, items, emb, ckpt, pools;
    @TempDir Path dir;

    @BeforeAll
    static void start() throws Exception {
        TorchRuntime.init();
        Path tok = shared.resolve("tokenizer.json");
        try (InputStream in = new GZIPInputStream(Files.newInputStream(Path.of("../src/test/resources/org/leverplus/vlm/qwen25-tokenizer.json.gz")))) {
            Files.copy(in, tok);
        }
        snap = shared.resolve("snap");
        TinySnapshotWriter.write(snap, TinySnapshotWriter.tiny(), TinySnapshotWriter.Layout.NEW, 3, tok);
        ObjectMapper json = new ObjectMapper();
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < QA.length; i++) {
            ObjectNode o = json.createObjectNode();
            o.put("id", 1000 + i);
            o.put("image", IMAGES.resolve(PICS[i % PICS.length]).toString());
            o.put("question", QA[i][0]);
            if (i != 6) {                                            // item 6: no human answers (skipped: no annotation)
                var a = o.putArray("answers");
                for (int k = 0; k < 10; k++) a.add(k < 6 ? QA[i][1] : k < 9 ? "two" : "!");
            } else o.put("answer", QA[i][1]);
            sb.append(json.writeValueAsString(o)).append('\n');
        }
        items = shared.resolve("items.jsonl");
        Files.writeString(items, sb.toString());
        Random r = new Random(1);
        float[] e = new float[QA.length * 8];
        for (int i = 0; i < e.length; i++) e[i] = (float) r.nextGaussian();
        emb = shared.resolve("emb.safetensors");
        Embeddings.of(QA.length, 8, e).writeSafetensors(emb, Map.of(), false);
        ckpt = shared.resolve("sel.safetensors");
        try (TensorScope s = TensorScope.open(); PointerSelector m = PointerSelector.create(SelectorConfig.defaults().withSizes(8, 6, 1), 2)) {
            SelectorCheckpoint.save(ckpt, m, Map.of());
        }
        pools = shared.resolve("pools.json");
        Files.writeString(pools, "{\"0\": [0, 1, 2, 3, 4], \"1\": [1, 2, 3, 4, 5], \"2\": [0, 2, 3, 4, 5], \"3\": [0, 1, 3, 5, 6], \"6\": [6, 0, 1, 2, 3]}");
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
