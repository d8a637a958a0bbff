package org.leverplus.rlgen;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.leverplus.data.Embeddings;
import org.leverplus.selector.PointerSelector;
import org.leverplus.selector.SelectorCheckpoint;
import org.leverplus.selector.SelectorConfig;
import org.leverplus.torch.TensorScope;
import org.leverplus.torch.TorchRuntime;
import org.leverplus.vlm.model.TinySnapshotWriter;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Random;

/**
 * The inputs of the {@code lever generate rl} tests, shared by the core CLI tests and the Spark runner's tests (through
 * the core's test jar): a tiny random Qwen2.5-VL snapshot with Qwen's tokenizer, 7 items (ids 1000-1006) on the test
 * images, each with 10 human answers (6 x its answer, 3 x "two", 1 x "!") except item 6 (an answer only: it cannot be
 * graded officially), random 8-d embeddings, an untrained selector checkpoint and pools for anchors 0-3 and 6 (each pool
 * includes its anchor).
 *
 * @param snap  the snapshot folder
 * @param items the items file
 * @param emb   the embeddings
 * @param ckpt  the selector checkpoint
 * @param pools the pools file
 */
public record RlGenFixture(Path snap, Path items, Path emb, Path ckpt, Path pools) {
    public static final String[] PICS = {"rgb-84x56.png", "rgb-112x84.png", "rgb-70x50.png", "gray-56x56.png"};
    public static final String[][] QA = {{"What is on the plate?", "pizza"}, {"What color is the bus?", "red"},
            {"How many dogs are there?", "2"}, {"Is it raining?", "yes"}, {"What sport is this?", "tennis"},
            {"What is the man holding?", "umbrella"}, {"Where is the cat?", "on the bed"}};

    /** The test images folder of the core project whose root is {@code coreRoot}. */
    public static Path images(Path coreRoot) {
        return coreRoot.resolve("src/test/resources/org/leverplus/vlm/image").toAbsolutePath().normalize();
    }

    /** The tiny random Qwen2.5-VL snapshot (new key layout, 3 layers) with {@code tokenizerJson}, in {@code dir/snap}. */
    public static Path tinySnapshot(Path dir, Path tokenizerJson) throws Exception {
        TorchRuntime.init();
        Path snap = dir.resolve("snap");
        TinySnapshotWriter.write(snap, TinySnapshotWriter.tiny(), TinySnapshotWriter.Layout.NEW, 3, tokenizerJson);
        return snap;
    }

    /** {@code n} random 8-d embeddings (Gaussian, {@code java.util.Random(seed)}), written to {@code file}. */
    public static Embeddings randomEmbeddings(Path file, int n, long seed) throws Exception {
        Random r = new Random(seed);
        float[] e = new float[n * 8];
        for (int i = 0; i < e.length; i++) e[i] = (float) r.nextGaussian();
        Embeddings emb = Embeddings.of(n, 8, e);
        emb.writeSafetensors(file, Map.of(), false);
        return emb;
    }

    /** Writes the fixture into {@code dir}; {@code tokenizerJson} is Qwen's tokenizer.json (uncompressed). */
    public static RlGenFixture write(Path dir, Path coreRoot, Path tokenizerJson) throws Exception {
        Path snap = tinySnapshot(dir, tokenizerJson);
        Path images = images(coreRoot);
        ObjectMapper json = new ObjectMapper();
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < QA.length; i++) {
            ObjectNode o = json.createObjectNode();
            o.put("id", 1000 + i);
            o.put("image", images.resolve(PICS[i % PICS.length]).toString());
            o.put("question", QA[i][0]);
            if (i != 6) {                                            // item 6: no human answers (cannot be graded officially)
                var a = o.putArray("answers");
                for (int k = 0; k < 10; k++) a.add(k < 6 ? QA[i][1] : k < 9 ? "two" : "!");
            } else o.put("answer", QA[i][1]);
            sb.append(json.writeValueAsString(o)).append('\n');
        }
        Path items = dir.resolve("items.jsonl");
        Files.writeString(items, sb.toString());
        Path emb = dir.resolve("emb.safetensors");
        randomEmbeddings(emb, QA.length, 1);
        Path ckpt = dir.resolve("sel.safetensors");
        try (TensorScope s = TensorScope.open(); PointerSelector m = PointerSelector.create(SelectorConfig.defaults().withSizes(8, 6, 1), 2)) {
            SelectorCheckpoint.save(ckpt, m, Map.of());
        }
        Path pools = dir.resolve("pools.json");                     // anchors 0..3 and 6; pools include the anchor itself
        Files.writeString(pools, "{\"0\": [0, 1, 2, 3, 4], \"1\": [1, 2, 3, 4, 5], \"2\": [0, 2, 3, 4, 5], \"3\": [0, 1, 3, 5, 6], \"6\": [6, 0, 1, 2, 3]}");
        return new RlGenFixture(snap, items, emb, ckpt, pools);
    }
}
