package org.leverplus.vlm.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leverplus.torch.TensorScope;
import org.leverplus.vlm.Qwen25VlSnapshot;
import org.leverplus.vlm.model.ModelOptions;
import org.leverplus.vlm.model.Qwen25VlModel;
import org.leverplus.vlm.model.Tensors;
import org.leverplus.vlm.model.TinySnapshotWriter;

import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** File-to-file scoring and generation on the fixture, and the tiny-snapshot writer in both key layouts. */
class VlmRunTest {
    static final Path REQ = TinyFixture.DIR.resolve("requests.jsonl");

    @Test void scoreFileMatchesTheReference(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("scores.jsonl");
        VlmRun.Settings s = new VlmRun.Settings(ModelOptions.defaults(), EngineOptions.defaults(), 2, false);
        VlmRun.Summary sum = VlmRun.score(TinyFixture.DIR.resolve("snapshot-new"), REQ, out, s, null);
        assertEquals(3, sum.prompts());
        List<String> lines = Files.readAllLines(out);
        JsonNode meta = new ObjectMapper().readTree(TinyFixture.DIR.resolve("goldens.json").toFile());
        for (int i = 0; i < 3; i++) {
            JsonNode o = new ObjectMapper().readTree(lines.get(i));
            assertEquals("prompt" + i, o.get("id").asText());
            Close.scalar("logprob_sum", meta.get("prompts").get(i).get("logprob_sum").asDouble(), o.get("logprob_sum").asDouble(), 1e-4);
        }
        assertThrows(FileAlreadyExistsException.class, () -> VlmRun.score(TinyFixture.DIR.resolve("snapshot-new"), REQ, out, s, null));
        try (var files = Files.list(tmp)) {
            assertEquals(1, files.count(), "no temporary files left behind");
        }
    }

    @Test void generateFileMatchesTheReference(@TempDir Path tmp) throws Exception {
        Path out = tmp.resolve("gen.jsonl");
        VlmRun.Settings s = new VlmRun.Settings(ModelOptions.defaults(), EngineOptions.defaults(), 8, false);
        GenerationSettings g = GenerationSettings.leverPlus(VlmRun.eosIds(TinyFixture.DIR.resolve("snapshot-legacy")));
        VlmRun.generate(TinyFixture.DIR.resolve("snapshot-legacy"), TinyFixture.DIR.resolve("generate.jsonl"), out, s, g, null);
        JsonNode o = new ObjectMapper().readTree(Files.readAllLines(out).get(0));
        JsonNode meta = new ObjectMapper().readTree(TinyFixture.DIR.resolve("goldens.json").toFile());
        assertEquals(meta.get("generation").get(0).get("beam3").toString(), o.get("tokens").toString());
    }

    @Test void tinySnapshotsLoadInBothLayoutsAndDecodeWithMargins(@TempDir Path tmp) throws Exception {
        Path legacy = tmp.resolve("legacy"), nested = tmp.resolve("new");
        TinySnapshotWriter.write(legacy, TinySnapshotWriter.tiny(), TinySnapshotWriter.Layout.LEGACY, 5, null);
        TinySnapshotWriter.write(nested, TinySnapshotWriter.tiny(), TinySnapshotWriter.Layout.NEW, 5, null);
        assertTrue(Qwen25VlSnapshot.open(legacy).config().vision().depth() == 4);
        // a text-only prompt with real special-token ids
        int[] ids = {151644, 8948, 198, 2610, 525, 151645, 198, 151644, 872, 198, 3838, 374, 419, 30, 151645, 198, 151644, 77091, 198};
        Prompt p = new Prompt(ids, List.of());
        try (Qwen25VlModel a = Qwen25VlModel.load(Qwen25VlSnapshot.open(legacy), ModelOptions.defaults());
             Qwen25VlModel b = Qwen25VlModel.load(Qwen25VlSnapshot.open(nested), ModelOptions.defaults());
             VlmEngine ea = new VlmEngine(a, EngineOptions.defaults()); VlmEngine eb = new VlmEngine(b, EngineOptions.defaults())) {
            Generation ga = new VlmGenerator(ea).generate(List.of(p), GenerationSettings.greedy(5, Set.of(151645))).get(0);
            Generation gb = new VlmGenerator(eb).generate(List.of(p), GenerationSettings.greedy(5, Set.of(151645))).get(0);
            assertEquals(java.util.Arrays.toString(ga.tokens()), java.util.Arrays.toString(gb.tokens()));
            assertFalse(ga.tokens().length == 0);
            // clear top-1 margins at every greedy step (random weights are scaled for this)
            Prompt cur = p;
            for (int tok : ga.tokens()) {
                try (TensorScope s = TensorScope.open()) {
                    PreparedPrompt pp = ea.prepare(cur);
                    VlmEngine.Batch batch = ea.forward(List.of(pp), 0, new org.leverplus.vlm.model.KvCache(2), false);
                    float[] logits = Tensors.toFloats(a.text().logits(batch.hidden().select(0, 0).narrow(0, cur.length() - 1, 1)));
                    float best = Float.NEGATIVE_INFINITY, second = Float.NEGATIVE_INFINITY;
                    for (float v : logits) { if (v > best) { second = best; best = v; } else if (v > second) second = v; }
                    assertTrue(best - second > 1e-2, "top-1 margin " + (best - second));
                }
                cur = cur.append(tok);
            }
        }
    }

    /** Lever-Plus calls generate(eos_token_id=tokenizer.eos_token_id): tokenizer_config.json's one eos token wins. */
    @Test void eosIdsAreTheTokenizersEosTokenWhenTheSnapshotNamesOne(@TempDir Path tmp) throws Exception {
        Path snap = tmp.resolve("tiny");
        TinySnapshotWriter.write(snap, TinySnapshotWriter.tiny(), TinySnapshotWriter.Layout.LEGACY, 5,
                org.leverplus.vlm.TestTokenizers.snapshotDir().resolve("tokenizer.json"));
        Set<Integer> fallback = VlmRun.eosIds(snap);   // no tokenizer_config.json: generation_config + config ids
        assertFalse(fallback.isEmpty());
        Files.writeString(snap.resolve("tokenizer_config.json"), "{\"eos_token\": \"<|im_end|>\", \"pad_token\": \"<|endoftext|>\"}");
        assertEquals(Set.of(151645), VlmRun.eosIds(snap));
        Files.writeString(snap.resolve("tokenizer_config.json"), "{\"eos_token\": {\"content\": \"<|endoftext|>\", \"special\": true}}");
        assertEquals(Set.of(151643), VlmRun.eosIds(snap));
        Files.writeString(snap.resolve("tokenizer_config.json"), "{\"eos_token\": \"<|no_such_token|>\"}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> VlmRun.eosIds(snap));
        assertTrue(e.getMessage().contains("tokenizer_config.json") && e.getMessage().contains("<|no_such_token|>"), e.getMessage());
        Files.writeString(snap.resolve("tokenizer_config.json"), "{\"model_max_length\": 32768}");
        assertEquals(fallback, VlmRun.eosIds(snap));
    }
}
