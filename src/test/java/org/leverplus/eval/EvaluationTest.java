package org.leverplus.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leverplus.data.VqaDataset;
import org.leverplus.metric.VqaAccuracy;
import org.leverplus.selector.PointerSelector;
import org.leverplus.selector.SelectorCheckpoint;
import org.leverplus.selector.SelectorConfig;
import org.leverplus.torch.TensorScope;
import org.leverplus.torch.TorchRuntime;
import org.leverplus.vlm.TestTokenizers;
import org.leverplus.vlm.engine.EngineOptions;
import org.leverplus.vlm.model.ModelOptions;
import org.leverplus.vlm.model.TinySnapshotWriter;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A tiny end-to-end evaluation (tiny random Qwen2.5-VL snapshot with the real tokenizer, tiny OK-VQA-shaped data,
 * random selector): the ICDs, the official grading, the outputs, and resuming from the journal.
 */
class EvaluationTest {
    @TempDir static Path shared;
    static Path snap, data, ckpt;

    @BeforeAll static void setUp() throws Exception {
        TorchRuntime.init();
        snap = shared.resolve("snap");
        TinySnapshotWriter.write(snap, TinySnapshotWriter.tiny(), TinySnapshotWriter.Layout.NEW, 3, TestTokenizers.snapshotDir().resolve("tokenizer.json"));
        data = shared.resolve("vqa");
        TinyEvalData.write(data, 12, 6, 8, 7);
        ckpt = shared.resolve("sel.safetensors");
        try (TensorScope s = TensorScope.open(); PointerSelector m = PointerSelector.create(SelectorConfig.defaults().withSizes(8, 6, 1), 5)) {
            SelectorCheckpoint.save(ckpt, m, Map.of());
        }
    }

    static Evaluation.Inputs inputs(Path dataDir, int limit) throws Exception {
        EvalData d = EvalData.load(VqaDataset.Kind.OKVQA, dataDir.resolve("data"), dataDir.resolve("images/train"), dataDir.resolve("images/val"), limit);
        Path f = dataDir.resolve("features");
        return new Evaluation.Inputs(d, snap, ckpt, f.resolve("selector-train.safetensors"), f.resolve("selector-val.safetensors"),
                f.resolve("clip-image-train.safetensors"), f.resolve("clip-text-train.safetensors"),
                f.resolve("clip-image-val.safetensors"), f.resolve("clip-text-val.safetensors"));
    }

    static Evaluation.Settings settings(List<Method> methods, int beams, EngineOptions engine) {
        return new Evaluation.Settings(methods, List.of(1, 2), Retrievers.PoolSpec.parse("top-k 6"), 42, 0, 200, 200, beams, 5,
                ModelOptions.defaults(), engine, 3, false);
    }

    static String run(Evaluation.Inputs in, Evaluation.Settings s, Path out) throws Exception {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        Evaluation.run(in, s, out, new PrintStream(b, true, StandardCharsets.UTF_8));
        return b.toString(StandardCharsets.UTF_8);
    }

    static final List<Method> METHODS = List.of(Method.SELECTOR, Method.ZERO, Method.RANDOM, Method.I2I, Method.MIX);

    @Test void evaluatesGradesAndResumes(@TempDir Path out) throws Exception {
        Evaluation.Inputs in = inputs(data, 4);
        Evaluation.Settings s = settings(METHODS, 3, EngineOptions.defaults());
        String log = run(in, s, out);
        assertTrue(log.contains("0 generations journaled, 36 to run"), log);
        JsonNode ev = new ObjectMapper().readTree(out.resolve("eval.json").toFile());
        assertEquals(9, ev.get("results").size());   // selector, random, i2i, mix at 1 and 2 shots; zero once
        assertEquals(4, ev.get("questions").size());
        assertEquals(8, ev.get("comparisons").size());
        assertEquals("selector", ev.get("reference").asText());

        // the random baseline's ICDs are NumPy's; every per-question accuracy is the official metric of the journaled answer
        RandomRetriever rr = new RandomRetriever(12, 42);
        VqaAccuracy metric = VqaAccuracy.official();
        for (int k : new int[]{1, 2}) {
            int[][] want = rr.retrieve(k, 4);
            for (int q = 0; q < 4; q++) {
                JsonNode r = ev.get("questions").get(q).get("results").get("random@" + k);
                for (int j = 0; j < k; j++) assertEquals(want[q][j], r.get("icds").get(j).asInt());
            }
        }
        for (JsonNode q : ev.get("questions")) {
            List<String> gts = new ArrayList<>();
            q.get("answers").forEach(a -> gts.add(a.asText()));
            assertEquals(0, q.get("results").get("zero@0").get("icds").size());
            for (Iterator<Map.Entry<String, JsonNode>> it = q.get("results").fields(); it.hasNext(); ) {
                JsonNode r = it.next().getValue();
                assertEquals(VqaAccuracy.reportPercent(metric.score(r.get("answer").asText(), gts)), r.get("accuracy").asDouble(), 1e-9);
            }
        }
        for (JsonNode r : ev.get("results")) {
            double sum = 0;
            String cell = r.get("method").asText() + "@" + r.get("shots").asInt();
            for (JsonNode q : ev.get("questions")) sum += q.get("results").get(cell).get("accuracy").asDouble();
            assertEquals(VqaAccuracy.roundPython(sum / 4, 2), r.get("accuracy").asDouble(), 0.006, cell);
            assertTrue(r.get("ci_low").asDouble() <= r.get("mean").asDouble() && r.get("mean").asDouble() <= r.get("ci_high").asDouble(), cell);
        }

        // the selector picks distinct items from each question's own pool: the 6 training items nearest by selector embedding
        CosineIndex sel = new CosineIndex(org.leverplus.data.Embeddings.readSafetensors(data.resolve("features/selector-train.safetensors")));
        org.leverplus.data.Embeddings sv = org.leverplus.data.Embeddings.readSafetensors(data.resolve("features/selector-val.safetensors"));
        for (int q = 0; q < 4; q++) {
            java.util.Set<Integer> pool = new java.util.HashSet<>();
            for (int id : sel.topK(sv.row(q), 6, null)) pool.add(id);
            for (int k : new int[]{1, 2}) {
                JsonNode icds = ev.get("questions").get(q).get("results").get("selector@" + k).get("icds");
                java.util.Set<Integer> seen = new java.util.HashSet<>();
                for (JsonNode id : icds) assertTrue(pool.contains(id.asInt()) && seen.add(id.asInt()), "selector@" + k + " question " + q + ": " + icds);
                assertEquals(k, seen.size());
            }
        }

        // the original's metrics file
        JsonNode metrics = new ObjectMapper().readTree(out.resolve("metrics.json").toFile());
        String key = null;
        for (Iterator<String> it = metrics.fieldNames(); it.hasNext(); ) {
            String k = it.next();
            if (k.endsWith("-test_data_num=4-LeverLMRetriever")) key = k;
        }
        assertTrue(key != null, metrics.toString());
        assertEquals(ev.get("results").get(0).get("accuracy").asDouble() / 100, metrics.get(key).get("shot_num=1").asDouble(), 1e-12);
        assertTrue(Files.exists(out.resolve("results/selector_shot1.json")) && Files.exists(out.resolve("official/annotations.json")));

        // a crash: the journal keeps the header and 10 generations, the 11th line torn in half
        Path j = out.resolve(Evaluation.JOURNAL);
        List<String> lines = Files.readAllLines(j);
        assertEquals(37, lines.size());
        Files.writeString(j, String.join("\n", lines.subList(0, 11)) + "\n" + lines.get(11).substring(0, lines.get(11).length() / 2));
        Files.delete(out.resolve("eval.json"));
        String log2 = run(in, s, out);
        assertTrue(log2.contains("10 generations journaled, 26 to run"), log2);
        JsonNode ev2 = new ObjectMapper().readTree(out.resolve("eval.json").toFile());
        assertEquals(ev.get("questions"), ev2.get("questions"), "the resumed evaluation gives the same generations");
        assertEquals(ev.get("results"), ev2.get("results"));
        assertEquals(ev.get("comparisons"), ev2.get("comparisons"), "statistics are seeded");
        assertEquals(37, Files.readAllLines(j).size());

        // everything journaled: nothing to run; other generation settings are refused
        assertTrue(run(in, s, out).contains("36 generations journaled, 0 to run"));
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> run(in, settings(METHODS, 1, EngineOptions.defaults()), out));
        assertTrue(e.getMessage().contains("num_beams"), e.getMessage());
    }

    @Test void cachesDoNotChangeTheAnswers(@TempDir Path a, @TempDir Path b) throws Exception {
        Evaluation.Inputs in = inputs(data, 3);
        List<Method> ms = List.of(Method.ZERO, Method.RANDOM);
        run(in, settings(ms, 1, EngineOptions.defaults()), a);
        run(in, settings(ms, 1, EngineOptions.uncached()), b);
        JsonNode x = new ObjectMapper().readTree(a.resolve("eval.json").toFile()), y = new ObjectMapper().readTree(b.resolve("eval.json").toFile());
        assertEquals(x.get("questions"), y.get("questions"));
    }

    @Test void anUngradableQuestionIsAnErrorNamingIt(@TempDir Path dir) throws Exception {
        TinyEvalData.write(dir, 12, 6, 8, 7);
        Path ann = dir.resolve("data").resolve(VqaDataset.Kind.OKVQA.annotationsFile("val"));
        ObjectNode root = (ObjectNode) new ObjectMapper().readTree(ann.toFile());
        ArrayNode anns = (ArrayNode) root.get("annotations");
        ObjectNode first = null;
        for (JsonNode a : anns) if (first == null || a.get("question_id").asLong() < first.get("question_id").asLong()) first = (ObjectNode) a;
        first.putArray("answers");
        new ObjectMapper().writeValue(ann.toFile(), root);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> inputs(dir, 3));
        assertTrue(e.getMessage().contains("question " + first.get("question_id").asLong()) && e.getMessage().contains("cannot be graded"), e.getMessage());
    }

    @Test void methodsWithoutTheirInputsAreRefused() throws Exception {
        Evaluation.Inputs in = inputs(data, 2);
        Evaluation.Inputs noClip = new Evaluation.Inputs(in.data(), snap, null, null, null, null, null, null, null);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Evaluation.plan(noClip, settings(List.of(Method.I2T), 1, EngineOptions.defaults()), 2));
        assertTrue(e.getMessage().contains("--clip-val-image"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Evaluation.plan(noClip, settings(List.of(Method.SELECTOR), 1, EngineOptions.defaults()), 2));
        assertTrue(e.getMessage().contains("--checkpoint"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Method.parse("topk"));
    }
}
