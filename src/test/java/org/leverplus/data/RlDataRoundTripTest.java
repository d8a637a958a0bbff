package org.leverplus.data;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;
import org.leverplus.io.JsonSupport;

import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class RlDataRoundTripTest {
    @TempDir Path dir;

    /** Every version of spec 8.4, written by the generator, read and written back: the same JSON value. */
    @ParameterizedTest
    @EnumSource(SyntheticRlData.Format.class)
    void roundTripKeepsTheJsonValue(SyntheticRlData.Format format) throws Exception {
        Path in = dir.resolve("in.json");
        SyntheticRlData.write(new SyntheticRlData.Spec(format, 30, 8, 500, 7), in, false);
        RlData data = RlDataReader.read(in);
        assertEquals(30, data.queries().size());
        Path out = dir.resolve("out.json");
        RlDataWriter.write(out, data, false);
        JsonNode a = JsonSupport.mapper().readTree(in.toFile());
        JsonNode b = JsonSupport.mapper().readTree(out.toFile());
        assertEquals(a, b);
    }

    /** A hand-written file in the original's style with unknown fields, NaN, nested data, _meta first and extra keys. */
    @Test
    void unknownFieldsAndPythonLiteralsSurvive() throws Exception {
        String text = """
                {"_meta": {"created_at": "2025-12-16 10:00:00", "filter_params": {"min_positive": 1}},
                 "notes_key": [1, 2, {"x": null}],
                 "12": {"query": {"query_id": 12, "question_id": 120, "question": "Wh\u00e9re?", "extra": [1.5e-7]},
                        "future_field": {"nested": true},
                        "pointer_candidates": [
                          {"pointer": [3, 4], "pointer_pos": [3, 4], "gen_method": "beam", "beam_score": NaN,
                           "logprob_score": -Infinity, "vqa_correct": 1, "vqa_acc_score": 0.6000000000000001,
                           "vqa_eval_mode": "vqaEval", "aug_type": "all0", "temperature": null, "big": 12345678901234}
                        ]}
                }""";
        Path in = dir.resolve("hand.json");
        Files.writeString(in, text, StandardCharsets.UTF_8);
        RlData data = RlDataReader.read(in);
        assertTrue(data.metaFirst());
        RlCandidate c = data.queries().get(0).candidates().get(0);
        assertTrue(Double.isNaN(c.beamScore()));
        assertEquals(Double.NEGATIVE_INFINITY, c.logprobScore());
        assertEquals(EvalMode.OFFICIAL, c.evalMode());
        Path out = dir.resolve("hand-out.json");
        RlDataWriter.write(out, data, false);
        String written = Files.readString(out);
        assertTrue(written.contains("NaN") && written.contains("-Infinity"), written);
        assertEquals(JsonSupport.mapper().readTree(in.toFile()), JsonSupport.mapper().readTree(out.toFile()));
        // _meta first is kept in place
        assertTrue(written.indexOf("_meta") < written.indexOf("\"12\""));
    }

    @Test
    void evalModesMapAsDocumented() {
        assertEquals(EvalMode.OFFICIAL, EvalMode.parse("vqaEval"));
        assertEquals(EvalMode.OFFICIAL, EvalMode.parse("train"));
        assertEquals(EvalMode.OFFICIAL, EvalMode.parse("val"));
        assertEquals(EvalMode.OFFICIAL, EvalMode.parse("official"));
        assertEquals(EvalMode.FALLBACK, EvalMode.parse("fallback"));
        assertEquals(EvalMode.ERROR, EvalMode.parse("error"));
        assertEquals(EvalMode.UNKNOWN, EvalMode.parse(null));
        assertEquals(EvalMode.UNRECOGNISED, EvalMode.parse("strict"));
    }

    @Test
    void balancedVariantHasUnknownProvenanceAndPositiveByAcc() {
        RlData d = SyntheticRlData.generate(new SyntheticRlData.Spec(SyntheticRlData.Format.BALANCED, 5, 10, 500, 3));
        for (RlQuery q : d.queries())
            for (RlCandidate c : q.candidates()) {
                assertNull(c.vqaCorrect());
                assertEquals(EvalMode.UNKNOWN, c.evalMode());
                assertEquals(c.vqaAccScore() > 0, c.isPositive());
            }
    }

    @Test
    void humanAnswersFromBothStorageForms() {
        RlData v4 = SyntheticRlData.generate(new SyntheticRlData.Spec(SyntheticRlData.Format.V4, 2, 2, 500, 3));
        RlData bal = SyntheticRlData.generate(new SyntheticRlData.Spec(SyntheticRlData.Format.BALANCED, 2, 2, 500, 3));
        RlData v1 = SyntheticRlData.generate(new SyntheticRlData.Spec(SyntheticRlData.Format.V1, 2, 2, 500, 3));
        java.util.List<String> expected = java.util.List.of("red", "red", "red", "red", "red", "red", "blue", "blue", "blue", "blue");
        assertEquals(expected, v4.queries().get(0).humanAnswers().orElseThrow());
        assertEquals(expected, bal.queries().get(0).humanAnswers().orElseThrow());
        assertTrue(v1.queries().get(0).humanAnswers().isEmpty());
    }

    @Test
    void truncatedJsonNamesFileAndKey() throws Exception {
        Path in = dir.resolve("t.json");
        Files.writeString(in, "{\"5\": {\"pointer_candidates\": [{\"pointer\": [1, 2]}]}, \"6\": {\"pointer_candidates\": [{\"poin");
        RlDataFormatException e = assertThrows(RlDataFormatException.class, () -> RlDataReader.read(in));
        assertTrue(e.getMessage().contains(in.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("query \"6\""), e.getMessage());
        assertTrue(e.getMessage().contains("truncated JSON"), e.getMessage());
    }

    @Test
    void wrongTypeNamesField() throws Exception {
        Path in = dir.resolve("w.json");
        Files.writeString(in, "{\"5\": {\"pointer_candidates\": [{\"pointer\": [1, 2]}, {\"pointer\": [1, \"x\"]}]}}");
        RlDataFormatException e = assertThrows(RlDataFormatException.class, () -> RlDataReader.read(in));
        assertEquals("pointer_candidates[1].pointer[1]", e.field());
        assertEquals("5", e.queryKey());
        assertTrue(e.getMessage().contains("expected an integer but found string"), e.getMessage());
    }

    @Test
    void duplicatedKeysAreErrors() throws Exception {
        Path in = dir.resolve("d.json");
        Files.writeString(in, "{\"5\": {\"pointer_candidates\": []}, \"5\": {\"pointer_candidates\": []}}");
        RlDataFormatException e = assertThrows(RlDataFormatException.class, () -> RlDataReader.read(in));
        assertTrue(e.getMessage().contains("duplicated top-level key"), e.getMessage());
        Path in2 = dir.resolve("d2.json");
        Files.writeString(in2, "{\"5\": {\"pointer_candidates\": [{\"pointer\": [1, 2], \"pointer\": [3, 4]}]}}");
        RlDataFormatException e2 = assertThrows(RlDataFormatException.class, () -> RlDataReader.read(in2));
        assertEquals("5", e2.queryKey());
        assertTrue(e2.getMessage().contains("pointer"), e2.getMessage());
    }

    @Test
    void writerRefusesToOverwriteAndLeavesNoTempFile() throws Exception {
        Path out = dir.resolve("o.json");
        Files.writeString(out, "keep me");
        RlData d = SyntheticRlData.generate(new SyntheticRlData.Spec(SyntheticRlData.Format.V1, 2, 2, 500, 1));
        assertThrows(FileAlreadyExistsException.class, () -> RlDataWriter.write(out, d, false));
        assertEquals("keep me", Files.readString(out));
        try (var s = Files.list(dir)) {
            assertEquals(1, s.count());
        }
        RlDataWriter.write(out, d, true);
        assertEquals(2, RlDataReader.read(out).queries().size());
    }

    @Test
    void trainingPoolFollowsTheOriginal() {
        RlData k64 = SyntheticRlData.generate(new SyntheticRlData.Spec(SyntheticRlData.Format.K64, 3, 6, 500, 5));
        for (RlQuery q : k64.queries()) {
            assertTrue(q.isLocal());
            assertArrayEquals(q.candidatePoolIds(), q.trainingPool());
            for (RlCandidate c : q.candidates()) {
                int[] lab = q.localLabels(c, q.trainingPool());
                assertArrayEquals(c.pointer(), lab);
                for (int t = 0; t < lab.length; t++) assertEquals(c.pointerGlobal()[t], q.candidatePoolIds()[lab[t]]);
            }
        }
        RlData v4 = SyntheticRlData.generate(new SyntheticRlData.Spec(SyntheticRlData.Format.V4, 3, 6, 500, 5));
        for (RlQuery q : v4.queries()) {
            int[] pool = q.trainingPool();
            for (int i = 1; i < pool.length; i++) assertTrue(pool[i - 1] < pool[i], "sorted distinct");
            for (RlCandidate c : q.candidates()) {
                int[] lab = q.localLabels(c, pool);
                for (int t = 0; t < lab.length; t++) assertEquals(c.pointer()[t], pool[lab[t]]);
            }
        }
    }
}
