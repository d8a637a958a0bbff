package org.leverplus.metric;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leverplus.io.JsonSupport;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Whole-file evaluation on a small generated set, against the numbers the official code printed for it. */
class VqaEvaluationTest {
    @TempDir Path dir;

    private Path res(String name) throws Exception {
        Path p = dir.resolve(name);
        Files.copy(getClass().getResourceAsStream("/metric/" + name), p);
        return p;
    }

    @Test
    void matchesTheOfficialNumbers() throws Exception {
        VqaEvaluation.Result r = new VqaEvaluation(VqaAccuracy.official())
                .evaluate(res("small_results.json"), res("small_questions.json"), res("small_annotations.json"));
        JsonNode exp = JsonSupport.mapper().readTree(getClass().getResourceAsStream("/metric/small_expected.json"));
        assertEquals(exp.get("overall").doubleValue(), r.overall(), 0);
        assertEquals(60, r.questions());
        assertEquals(exp.get("perAnswerType").size(), r.perAnswerType().size());
        for (Iterator<Map.Entry<String, JsonNode>> it = exp.get("perAnswerType").fields(); it.hasNext(); ) {
            var e = it.next();
            assertEquals(e.getValue().doubleValue(), r.perAnswerType().get(e.getKey()), 0, e.getKey());
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = exp.get("perQuestionType").fields(); it.hasNext(); ) {
            var e = it.next();
            assertEquals(e.getValue().doubleValue(), r.perQuestionType().get(e.getKey()), 0, e.getKey());
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = exp.get("perQuestion").fields(); it.hasNext(); ) {
            var e = it.next();
            assertEquals(e.getValue().doubleValue(), r.perQuestion().get(Long.parseLong(e.getKey())), 0, e.getKey());
        }
    }

    @Test
    void resultsMustCoverTheAnnotations() throws Exception {
        Path q = res("small_questions.json"), a = res("small_annotations.json");
        Path partial = dir.resolve("partial.json");
        Files.writeString(partial, "[{\"question_id\": 900000, \"answer\": \"yes\"}]");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new VqaEvaluation(VqaAccuracy.official()).evaluate(partial, q, a));
        assertTrue(e.getMessage().contains("no prediction for question id"), e.getMessage());
        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, "[{\"question_id\": 900000, \"answer\": 3}]");
        IllegalArgumentException e2 = assertThrows(IllegalArgumentException.class,
                () -> new VqaEvaluation(VqaAccuracy.official()).evaluate(bad, q, a));
        assertTrue(e2.getMessage().contains("record 0: answer: expected a string"), e2.getMessage());
    }
}
