package org.leverplus.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leverplus.io.JsonSupport;

import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** filter, merge, convert, stats and validate on fixtures in the original's formats. */
class RlToolsTest {
    @TempDir Path dir;

    private static JsonNode json(Path p) throws Exception {
        return JsonSupport.mapper().readTree(p.toFile());
    }

    /** A query with {@code pos} positives out of {@code n}, global pointers, v4 style. */
    private static String query(int key, int n, int pos) {
        StringBuilder sb = new StringBuilder("\"" + key + "\": {\"query\": {\"query_id\": " + key + "}, \"pointer_candidates\": [");
        for (int i = 0; i < n; i++) {
            boolean p = i < pos;
            sb.append(i == 0 ? "" : ",").append("{\"pointer\": [").append(1000 + 2 * i).append(", ").append(1001 + 2 * i)
                    .append("], \"vqa_correct\": ").append(p ? 1 : 0).append(", \"vqa_acc_score\": ").append(p ? 0.6 : 0.0)
                    .append(", \"vqa_eval_mode\": \"vqaEval\", \"vqa_raw_generation\": \"x\"}");
        }
        return sb.append("]}").toString();
    }

    private Path file(String name, String... entries) throws Exception {
        Path p = dir.resolve(name);
        Files.writeString(p, "{" + String.join(",\n", entries) + "}");
        return p;
    }

    @Test
    void balancedFilterKeepsRatioRangeAndRecordsMeta() throws Exception {
        Path in = file("in.json", query(1, 20, 8), query(2, 20, 12), query(3, 20, 7), query(4, 20, 13),
                query(5, 20, 20), query(6, 20, 0), query(7, 10, 5), "\"_meta\": {\"created_at\": \"2026-01-08 00:00:00\"}");
        Path out = dir.resolve("out.json");
        RlFilter.Report r = RlFilter.run(in, out, new RlFilter.Params(0.4, 0.6, true), false);
        assertEquals(7, r.originalQueries());
        assertEquals(3, r.keptQueries());            // 8/20 = 0.4 and 12/20 = 0.6 are inside, 5/10 too
        assertEquals(1, r.removedAllPositive());
        assertEquals(1, r.removedAllNegative());
        assertEquals(2, r.removedOutOfRange());
        JsonNode o = json(out);
        assertTrue(o.has("1") && o.has("2") && o.has("7") && !o.has("3"));
        assertEquals(json(in).get("1"), o.get("1"));  // kept groups unchanged
        JsonNode meta = o.get("_meta");
        assertEquals("2026-01-08 00:00:00", meta.get("created_at").textValue());
        assertEquals(0.4, meta.get("filter_params").get("min_pos_ratio").doubleValue());
        assertEquals(7, meta.get("original_query_count").intValue());
        assertEquals(3, meta.get("filtered_query_count").intValue());
        assertEquals("filter", meta.get("lever_history").get(0).get("op").textValue());

        // mixed-only alone = Lever-Plus's OK-VQA filter_balanced_queries.py
        Path out2 = dir.resolve("mixed.json");
        assertEquals(5, RlFilter.run(in, out2, new RlFilter.Params(0, 1, true), false).keptQueries());
        // a second filter keeps the first one's values in the history
        Path out3 = dir.resolve("twice.json");
        RlFilter.run(out, out3, new RlFilter.Params(0.5, 0.5, false), false);
        JsonNode h = json(out3).get("_meta").get("lever_history");
        assertEquals(2, h.size());
        assertEquals(7, h.get(1).get("replaced_meta").get("original_query_count").intValue());
    }

    @Test
    void mergeRefusesDuplicatesUnlessToldAndRecordsSources() throws Exception {
        Path a = file("a.json", query(1, 4, 1), query(2, 4, 2), "\"_meta\": {\"start_idx\": 0}");
        Path b = file("b.json", query(2, 4, 4), query(3, 4, 3));
        Path out = dir.resolve("m.json");
        RlDataFormatException e = assertThrows(RlDataFormatException.class,
                () -> RlMerge.run(List.of(a, b), out, RlMerge.OnDuplicate.ERROR, false));
        assertEquals("2", e.queryKey());
        assertTrue(e.getMessage().contains(b.toString()) && e.getMessage().contains(a.toString()), e.getMessage());
        assertFalse(Files.exists(out));

        RlMerge.Report first = RlMerge.run(List.of(a, b), out, RlMerge.OnDuplicate.KEEP_FIRST, false);
        assertEquals(3, first.queries());
        assertEquals(1, first.duplicateKeys());
        assertEquals(json(a).get("2"), json(out).get("2"));
        JsonNode meta = json(out).get("_meta");
        assertEquals(2, meta.get("num_source_files").intValue());
        assertEquals(3, meta.get("total_queries").intValue());
        assertEquals(12, meta.get("total_candidates").intValue());
        assertEquals((1 + 2 + 3) / 12.0, meta.get("positive_ratio").doubleValue(), 1e-12);
        assertEquals(0, meta.get("source_meta").get(a.toString()).get("start_idx").intValue());

        Path out2 = dir.resolve("m2.json");
        RlMerge.run(List.of(a, b), out2, RlMerge.OnDuplicate.KEEP_LAST, false);
        assertEquals(json(b).get("2"), json(out2).get("2"));
    }

    @Test
    void localGlobalConversionRoundTrips() throws Exception {
        for (SyntheticRlData.Format f : SyntheticRlData.Format.values()) {
            Path in = dir.resolve(f + ".json");
            SyntheticRlData.write(new SyntheticRlData.Spec(f, 12, 6, 400, 11), in, false);
            Path local = dir.resolve(f + "-local.json"), back = dir.resolve(f + "-back.json"), again = dir.resolve(f + "-again.json");
            RlConvert.run(in, local, PointerConversion.Target.LOCAL, false);
            RlConvert.run(local, back, PointerConversion.Target.GLOBAL, false);
            RlConvert.run(back, again, PointerConversion.Target.LOCAL, false);
            RlData src = RlDataReader.read(in), l = RlDataReader.read(local), g = RlDataReader.read(back), l2 = RlDataReader.read(again);
            for (int i = 0; i < src.queries().size(); i++) {
                RlQuery s = src.queries().get(i);
                String what = f + " query " + s.key();
                if (f == SyntheticRlData.Format.K64) assertEquals(s.raw(), l.queries().get(i).raw(), what);
                else assertEquals(s.raw(), g.queries().get(i).raw(), what);
                assertEquals(l.queries().get(i).raw(), l2.queries().get(i).raw(), what);
                RlQuery lq = l.queries().get(i);
                assertTrue(lq.isLocal());
                for (int c = 0; c < lq.candidates().size(); c++) {
                    RlCandidate lc = lq.candidates().get(c);
                    assertArrayEquals(s.candidates().get(c).globalPointer(), lc.pointerGlobal());
                    for (int t = 0; t < lc.shots(); t++) assertEquals(lc.pointerGlobal()[t], lq.candidatePoolIds()[lc.pointer()[t]]);
                }
                for (RlCandidate gc : g.queries().get(i).candidates()) assertFalse(gc.isLocal());
            }
            assertEquals(0, RlValidator.collect(local, 400).size(), f.toString());
        }
    }

    @Test
    void conversionRejectsInconsistentPointers() throws Exception {
        Path in = file("bad.json", "\"5\": {\"candidate_pool_ids\": [10, 20, 30], \"pointer_candidates\": [{\"pointer\": [0, 1], \"pointer_global\": [10, 99]}]}");
        Path out = dir.resolve("x.json");
        RlDataFormatException e = assertThrows(RlDataFormatException.class, () -> RlConvert.run(in, out, PointerConversion.Target.GLOBAL, false));
        assertEquals("pointer_candidates[0].pointer_global[1]", e.field());
        assertFalse(Files.exists(out));
        try (var s = Files.list(dir)) {
            assertEquals(1, s.count(), "no temporary file left behind");
        }
    }

    @Test
    void validateReportsEachProblemWithKeyAndField() throws Exception {
        Path in = file("v.json",
                "\"5\": {\"query\": {\"query_id\": 6}, \"candidate_pool_ids\": [10, 20, 5], \"pointer_candidates\": ["
                        + "{\"pointer\": [0, 3], \"pointer_global\": [10, 40]},"
                        + "{\"pointer\": [1, 1], \"pointer_global\": [20, 20], \"vqa_correct\": 1, \"vqa_acc_score\": 0.0},"
                        + "{\"pointer\": [0], \"pointer_global\": [10], \"vqa_acc_score\": 1.5, \"vqa_eval_mode\": \"guess\"}]}",
                "\"7\": {\"pointer_candidates\": [{\"pointer\": [7, -1]}]}",
                "\"8\": {\"pointer_candidates\": [{\"pointer\": \"x\"}]}",
                "\"9\": {\"pointer_candidates\": [{\"pointer\": [1, 2], \"vqa_correct\": 1, \"vqa_acc_score\": 0.3}]}");
        List<String> p = RlValidator.collect(in, 100);
        String all = String.join("\n", p);
        assertTrue(all.contains("query \"5\": query.query_id: expected 5"), all);
        assertTrue(all.contains("query \"5\": candidate_pool_ids: the query 5 is in its own candidate pool"), all);
        assertTrue(all.contains("query \"5\": pointer_candidates[0].pointer[1]: expected a position in [0, 3) but found 3"), all);
        assertTrue(all.contains("query \"5\": pointer_candidates[1].pointer: ICD 20 is repeated"), all);
        assertTrue(all.contains("query \"5\": pointer_candidates[1].vqa_correct: expected 0"), all);
        assertTrue(all.contains("query \"5\": pointer_candidates[2].pointer: expected 2 ICDs"), all);
        assertTrue(all.contains("query \"5\": pointer_candidates[2].vqa_acc_score: expected a value in [0, 1] but found 1.5"), all);
        assertTrue(all.contains("query \"5\": pointer_candidates[2].vqa_eval_mode: expected one of"), all);
        assertTrue(all.contains("query \"7\": pointer_candidates[0].pointer: the sequence [7, -1] contains the query itself"), all);
        assertTrue(all.contains("query \"7\": pointer_candidates[0].pointer[1]: expected a dataset index in [0, 100) but found -1"), all);
        assertTrue(all.contains("query \"8\": pointer_candidates[0].pointer: expected an array of integers but found string"), all);
        assertFalse(all.contains("query \"9\""), all);
        for (String line : p) assertTrue(line.startsWith(in.toString() + ": query \""), line);
        assertEquals(11, p.size(), all);

        Path trunc = dir.resolve("trunc.json");
        Files.writeString(trunc, Files.readString(in).substring(0, 120));
        List<String> t = RlValidator.collect(trunc, -1);
        assertEquals(1, t.size());
        assertTrue(t.get(0).contains("truncated JSON"), t.get(0));
    }

    @Test
    void statsMatchHandCounts() throws Exception {
        Path in = file("s.json", query(1, 4, 0), query(2, 4, 4), query(3, 2, 1),
                "\"4\": {\"pointer_candidates\": [{\"pointer\": [1, 2], \"vqa_acc_score\": 0.3}, {\"pointer\": [3, 4], \"vqa_acc_score\": 0.0, \"vqa_eval_mode\": \"fallback\"}]}");
        ObjectNode s = RlStats.of(in).toJson();
        assertEquals(4, s.get("queries").intValue());
        assertEquals(12, s.get("candidates").intValue());
        assertEquals(6 / 12.0, s.get("positive_ratio").doubleValue(), 1e-12); // 0 + 4 + 1 + 1 (acc > 0 without vqa_correct)
        assertEquals(1 / 12.0, s.get("fallback_ratio").doubleValue(), 1e-12);
        assertEquals(1, s.get("all_positive_queries").intValue());
        assertEquals(1, s.get("all_negative_queries").intValue());
        assertEquals(2, s.get("mixed_queries").intValue());
        assertEquals(2, s.get("candidates_per_query").get("min").intValue());
        assertEquals(3.0, s.get("candidates_per_query").get("mean").doubleValue());
        assertEquals(1, s.get("eval_modes").get("unknown").intValue());
        assertEquals(6, s.get("reward_levels").get("0.0").intValue());
        assertEquals(5, s.get("reward_levels").get("0.6").intValue());
        assertEquals(1, s.get("reward_levels").get("0.3").intValue());
    }

    @Test
    void fastStatsScanAgreesWithTheTreeReader() throws Exception {
        for (SyntheticRlData.Format f : SyntheticRlData.Format.values()) {
            Path in = dir.resolve("st-" + f + ".json");
            SyntheticRlData.write(new SyntheticRlData.Spec(f, 40, 9, 1000, 3), in, false);
            assertEquals(RlStats.of(RlDataReader.read(in)).toJson(), RlStats.of(in).toJson(), f.toString());
        }
        Path bad = file("badstat.json", "\"4\": {\"pointer_candidates\": [{\"pointer\": [1, 2], \"vqa_acc_score\": \"high\"}]}");
        RlDataFormatException e = assertThrows(RlDataFormatException.class, () -> RlStats.of(bad));
        assertEquals("pointer_candidates[0].vqa_acc_score", e.field());
        Path trunc = file("truncstat.json", "\"4\": {\"pointer_candidates\": [{\"pointer\": [1, 2]");
        assertTrue(assertThrows(RlDataFormatException.class, () -> RlStats.of(trunc)).getMessage().contains("truncated"));
    }

    @Test
    void malformedInputsLeaveNoOutput() throws Exception {
        Path out = dir.resolve("never.json");
        List<String> bad = new ArrayList<>(List.of(
                "{\"1\": {\"pointer_candidates\": [{\"pointer\": [1, 2]}",           // truncated
                "[1, 2]",                                                               // not an object
                "{\"1\": {\"pointer_candidates\": {\"pointer\": [1, 2]}}}",            // wrong type
                "{\"1\": {\"pointer_candidates\": []}, \"1\": {\"pointer_candidates\": []}}")); // duplicated key
        for (int i = 0; i < bad.size(); i++) {
            Path in = dir.resolve("bad" + i + ".json");
            Files.writeString(in, bad.get(i));
            assertThrows(RlDataFormatException.class, () -> RlFilter.run(in, out, RlFilter.Params.defaults(), false), bad.get(i));
            assertThrows(RlDataFormatException.class, () -> RlConvert.run(in, out, PointerConversion.Target.LOCAL, false));
            assertThrows(RlDataFormatException.class, () -> RlMerge.run(List.of(in), out, RlMerge.OnDuplicate.ERROR, false));
            assertFalse(Files.exists(out), bad.get(i));
        }
        try (var s = Files.list(dir)) {
            assertTrue(s.noneMatch(p -> p.getFileName().toString().endsWith(".tmp")), "temporary files left behind");
        }
        Path outOfRange = file("oor.json", "\"5\": {\"candidate_pool_ids\": [10, 20], \"pointer_candidates\": [{\"pointer\": [0, 2], \"pointer_global\": [10, 30]}]}");
        RlDataFormatException oor = assertThrows(RlDataFormatException.class, () -> RlConvert.run(outOfRange, out, PointerConversion.Target.GLOBAL, false));
        assertEquals("pointer_candidates[0].pointer[1]", oor.field());
        assertTrue(oor.getMessage().contains("expected a position in [0, 2) but found 2"), oor.getMessage());
        assertFalse(Files.exists(out));
        Path existing = dir.resolve("exists.json");
        Files.writeString(existing, "precious");
        Path good = file("good.json", query(1, 2, 1));
        assertThrows(FileAlreadyExistsException.class, () -> RlFilter.run(good, existing, RlFilter.Params.defaults(), false));
        assertEquals("precious", Files.readString(existing));
    }
}
