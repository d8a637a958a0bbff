package org.leverplus.vlm.engine;

import org.leverplus.metric.AnswerExtraction;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leverplus.vlm.Qwen25VlSnapshot;
import org.leverplus.vlm.TestTokenizers;
import org.leverplus.vlm.model.ModelOptions;
import org.leverplus.vlm.model.Qwen25VlModel;
import org.leverplus.vlm.model.TinySnapshotWriter;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * End to end from Lever-Plus-level requests (images, questions, ICDs, answers) on a tiny snapshot with the real
 * tokenizer: issue 5's prompt builder and image pipeline feed the engine; scores equal scoring the same tokens
 * directly, the answer span is the separately tokenised answer, and the image cache sees each picture once.
 */
class VqaRequestsTest {
    static final Path IMAGES = Path.of("src/test/resources/org/leverplus/vlm/image").toAbsolutePath();

    @Test void scoreAndGenerateFromLeverPlusRequests(@TempDir Path tmp) throws Exception {
        Path snap = tmp.resolve("snap");
        TinySnapshotWriter.write(snap, TinySnapshotWriter.tiny(), TinySnapshotWriter.Layout.NEW, 3,
                TestTokenizers.snapshotDir().resolve("tokenizer.json"));
        String a = IMAGES.resolve("rgb-84x56.png").toString(), b = IMAGES.resolve("rgb-112x84.png").toString(),
                q = IMAGES.resolve("rgb-70x50.png").toString();
        Path req = tmp.resolve("requests.jsonl");
        ObjectMapper json = new ObjectMapper();
        StringBuilder sb = new StringBuilder();
        for (String[] icd : new String[][]{{a, "What is on the plate?", "pizza"}, {b, "What color is the bus?", "red"}}) {
            var line = json.createObjectNode();
            line.put("id", "with-" + icd[2]);
            var icds = line.putArray("icds");
            var i = icds.addObject();
            i.put("image", icd[0]);
            i.put("question", icd[1]);
            i.put("answer", icd[2]);
            var query = line.putObject("query");
            query.put("image", q);
            query.put("question", "How many dogs are there?");
            line.put("answer", "two");
            sb.append(json.writeValueAsString(line)).append('\n');
        }
        Files.writeString(req, sb.toString());
        Path out = tmp.resolve("scores.jsonl");
        VlmRun.Settings s = new VlmRun.Settings(ModelOptions.defaults(), EngineOptions.defaults(), 16, false);
        VlmRun.Summary sum = VlmRun.score(snap, req, out, s, null);
        assertEquals(2, sum.prompts());
        assertEquals(3, sum.visionCalls(), "three distinct images, each through the vision tower once");
        List<String> lines = Files.readAllLines(out);
        // the same prompts scored directly, without caches
        try (RequestSource src = VlmRun.open(req, Qwen25VlSnapshot.open(snap), true);
             Qwen25VlModel m = Qwen25VlModel.load(Qwen25VlSnapshot.open(snap), ModelOptions.defaults());
             VlmEngine e = new VlmEngine(m, EngineOptions.uncached())) {
            List<RequestSource.Entry> entries = src.load(0, 2);
            for (int k = 0; k < 2; k++) {
                RequestSource.Entry en = entries.get(k);
                int[] answer = java.util.Arrays.copyOfRange(en.prompt().ids(), en.answerStart(), en.answerEnd());
                assertTrue(java.util.Arrays.equals(TestTokenizers.qwen25().encode("two"), answer), "answer span = tokens of the answer");
                AnswerScore direct = new VlmScorer(e).score(List.of(en.scoreRequest())).get(0);
                JsonNode o = json.readTree(lines.get(k));
                Close.scalar("log-prob of " + en.id(), direct.sum(), o.get("logprob_sum").asDouble(), 1e-5);
            }
        }
        Path gen = tmp.resolve("gen.jsonl");
        VlmRun.generate(snap, req, gen, s, GenerationSettings.leverPlus(Set.of(151645, 151643)), null);
        JsonNode g = json.readTree(Files.readAllLines(gen).get(0));
        assertTrue(g.has("raw_generation") && g.has("answer"), "decoded text and extracted answer: " + g);
        assertEquals(AnswerExtraction.extract(g.get("raw_generation").asText()), g.get("answer").asText());
    }
}
