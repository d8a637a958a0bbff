package org.leverplus.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leverplus.data.RlData;
import org.leverplus.data.RlDataReader;
import org.leverplus.data.RlQuery;
import org.leverplus.data.RlCandidate;
import org.leverplus.rlgen.RlGenFixture;
import org.leverplus.metric.AnswerExtraction;
import org.leverplus.metric.VqaAccuracy;
import org.leverplus.selector.PointerSelector;
import org.leverplus.selector.SelectorCheckpoint;
import org.leverplus.selector.SelectorConfig;
import org.leverplus.torch.TensorScope;
import org.leverplus.vlm.TestTokenizers;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.*;

import static org.junit.jupiter.api.Assertions.*;

/**
 * lever generate rl end to end on a tiny random Qwen2.5-VL snapshot with the real tokenizer and a few test images:
 * the output validates, its labels are the official metric on the raw generations, lever data stats and lever train
 * read it; a crash + rerun writes the same bytes; two shards merged equal one run; bad inputs are clear errors.
 */
class GenerateRlCliTest {
    static final Path IMAGES = RlGenFixture.images(Path.of(""));
    static final String[] PICS = RlGenFixture.PICS;
    static final String[][] QA = RlGenFixture.QA;
    @TempDir static Path dir;
    static Path snap, items, emb, ckpt, pools;

    @BeforeAll static void fixtures() throws Exception {
        RlGenFixture f = RlGenFixture.write(dir, Path.of(""), TestTokenizers.snapshotDir().resolve("tokenizer.json"));
        snap = f.snap();
        items = f.items();
        emb = f.emb();
        ckpt = f.ckpt();
        pools = f.pools();
    }

    /**
     * The prefix cache is off here: with it on, a chunk's answer log-probabilities can differ in the last float32 bits
     * depending on what the engine computed before (the identity checks below compare bytes).
     */
    static List<String> args(Path out, String... more) {
        List<String> a = new ArrayList<>(List.of("generate", "rl", "--items", items.toString(), "--pools", pools.toString(),
                "--checkpoint", ckpt.toString(), "--embeddings", emb.toString(), "--snapshot", snap.toString(),
                "--out", out.toString(), "--chunk", "2", "--no-prefix-cache"));
        a.addAll(List.of(more));
        return a;
    }

    /**
     * Runs {@code lever generate rl} in its own JVM (as bin/lever does): a separate process is what a real crash and
     * resume look like. (Runs in one JVM used to crash after a failed run: the selector's dangling parameter
     * references, fixed and covered by SelectorLifetimeTest.)
     */
    static SelectorCliTest.Run run(List<String> a, String... jvmProps) {
        return SelectorCliTest.runInOwnJvm(a, jvmProps);
    }

    @Test void endToEndLabelsResumeAndShards() throws Exception {
        Path out = dir.resolve("rl.json");
        SelectorCliTest.Run r = run(args(out));
        assertEquals(0, r.code(), r.out() + r.err());
        assertFalse(Files.exists(dir.resolve("rl.json.journal.jsonl")), "journal removed after the commit");
        RlData d = RlDataReader.read(out);
        assertEquals(List.of("0", "1", "2", "3"), d.queries().stream().map(RlQuery::key).toList());   // 6 skipped: no annotation
        JsonNode summary = d.meta().get("summary");
        assertEquals(1, summary.get("queries_skipped_by_reason").get("no-annotation").asInt(), summary.toString());
        assertTrue(summary.get("candidates_dropped_by_reason").get("no-annotation").asInt() > 0);
        List<String> answers0 = List.of(QA[0][1], QA[0][1], QA[0][1], QA[0][1], QA[0][1], QA[0][1], "two", "two", "two", "!");
        for (RlQuery q : d.queries()) {
            int qi = q.index();
            assertEquals(4, q.candidatePoolIds().length);                   // the anchor left its own pool
            assertFalse(Arrays.stream(q.candidatePoolIds()).anyMatch(x -> x == qi));
            assertTrue(q.candidates().size() >= 3, "candidates of " + qi);
            Set<String> sets = new HashSet<>();
            for (RlCandidate c : q.candidates()) {
                int[] g = c.globalPointer();
                assertEquals(2, g.length);
                assertFalse(g[0] == qi || g[1] == qi, "the query is never its own ICD");
                assertTrue(sets.add(Math.min(g[0], g[1]) + "," + Math.max(g[0], g[1])), "deduplicated");
                for (int k = 0; k < 2; k++) assertEquals(q.candidatePoolIds()[c.pointer()[k]], g[k]);
                // the label is the official metric on the raw generation (as lever metric vqa computes it)
                String raw = c.raw().get("vqa_raw_generation").asText();
                List<String> ans = new ArrayList<>();
                q.query().get("gt_answers_raw").forEach(a -> ans.add(a.asText()));
                double acc = VqaAccuracy.official().score(AnswerExtraction.extract(raw), ans);
                assertEquals(acc, c.vqaAccScore(), 0.0);
                assertEquals(acc > 0 ? 1 : 0, c.vqaCorrect());
                assertEquals("official", c.raw().get("vqa_eval_mode").asText());
                assertEquals("train", c.raw().get("eval_split_used").asText());
                double p = c.vqaGtProb();
                assertTrue(p > 0 && p < 1, "vqa_gt_prob " + p);
            }
        }
        assertEquals(answers0.size(), d.queries().get(0).query().get("gt_answers_raw").size());
        // vqa_gt_prob against its definition: sum over distinct normalised answers a of p(a) * min(count(a) / 3, 1),
        // p(a) from lever vlm score on the candidate's prompt with answer a (the items: 6 x answer, 3 x "two", 1 x "!")
        RlQuery q0 = d.queries().get(0);
        RlCandidate c0 = q0.candidates().get(0);
        ObjectMapper json = new ObjectMapper();
        StringBuilder req = new StringBuilder();
        Map<String, Double> weight = new LinkedHashMap<>(Map.of(QA[0][1], 1.0, "two", 1.0, "!", 1.0 / 3));
        for (String ans : weight.keySet()) {
            ObjectNode line = json.createObjectNode();
            line.put("id", ans);
            var icds = line.putArray("icds");
            for (int g : c0.globalPointer())
                icds.addObject().put("image", IMAGES.resolve(PICS[g % PICS.length]).toString()).put("question", QA[g][0]).put("answer", QA[g][1]);
            line.putObject("query").put("image", IMAGES.resolve(PICS[0]).toString()).put("question", QA[0][0]);
            line.put("answer", ans);
            req.append(json.writeValueAsString(line)).append('\n');
        }
        Path reqFile = dir.resolve("gt-req.jsonl"), scored = dir.resolve("gt-scores.jsonl");
        Files.writeString(reqFile, req.toString());
        SelectorCliTest.Run sc = SelectorCliTest.run("vlm", "score", "--snapshot", snap.toString(), "--requests", reqFile.toString(), "--out", scored.toString());
        assertEquals(0, sc.code(), sc.out() + sc.err());
        double expected = 0;
        for (String l : Files.readAllLines(scored)) {
            JsonNode n = json.readTree(l);
            expected += n.get("prob").asDouble() * weight.get(n.get("id").asText());
        }
        assertEquals(expected, c0.vqaGtProb(), 1e-5 * expected);
        // lever data validate / stats read it; lever train trains on it
        SelectorCliTest.Run v = SelectorCliTest.run("data", "validate", out.toString());
        assertEquals(0, v.code(), v.out() + v.err());
        SelectorCliTest.Run st = SelectorCliTest.run("data", "stats", out.toString());
        assertEquals(0, st.code(), st.out() + st.err());
        SelectorCliTest.Run tr = SelectorCliTest.run("train", "--run-dir", dir.resolve("run").toString(), "--rl-data", out.toString(),
                "--embeddings", emb.toString(), "--rce-epochs", "1", "--hidden-dim", "8");
        assertEquals(0, tr.code(), tr.out() + tr.err());
        byte[] reference = Files.readAllBytes(out);

        // the same run again: deterministic for a seed
        Path again = dir.resolve("again.json");
        assertEquals(0, run(args(again)).code());
        assertArrayEquals(reference, Files.readAllBytes(again));

        // a crash right after the first chunk was journalled, plus a torn line, then a rerun: the same bytes
        Path crashed = dir.resolve("crashed.json");
        SelectorCliTest.Run c1 = run(args(crashed), "-Dlever.rlgen.stopAfterChunks=1");
        assertNotEquals(0, c1.code());
        assertFalse(Files.exists(crashed), "nothing half-written");
        Path journal = dir.resolve("crashed.json.journal.jsonl");
        Files.writeString(journal, "{\"key\": \"2\", \"val", java.nio.file.StandardOpenOption.APPEND);
        SelectorCliTest.Run c2 = run(args(crashed));
        assertEquals(0, c2.code(), c2.out() + c2.err());
        assertArrayEquals(reference, Files.readAllBytes(crashed));

        // two shards merged by lever data merge: the same queries as one run
        Path s0 = dir.resolve("s0.json"), s1 = dir.resolve("s1.json"), merged = dir.resolve("merged.json");
        assertEquals(0, run(args(s0, "--shard", "0/2")).code());
        assertEquals(0, run(args(s1, "--shard", "1/2")).code());
        SelectorCliTest.Run m = SelectorCliTest.run("data", "merge", s0.toString(), s1.toString(), "--out", merged.toString());
        assertEquals(0, m.code(), m.out() + m.err());
        RlData md = RlDataReader.read(merged);
        assertEquals(d.queries().stream().map(RlQuery::raw).toList(), md.queries().stream().map(RlQuery::raw).toList());
    }

    /**
     * With the prefix cache on (the default), vqa_gt_prob is scored on the generation's own KV cache: every label and
     * pointer equals the uncached run's, vqa_gt_prob agrees within float32 rounding, and the output is still
     * deterministic through a crash and a rerun (each chunk starts from the same engine state).
     */
    @Test void defaultCachesGiveTheSameLabelsAndResumeByteIdentically() throws Exception {
        Path cached = dir.resolve("cached.json"), plain = dir.resolve("plain.json"), crashed = dir.resolve("cached-crashed.json");
        assertEquals(0, run(args(plain)).code());
        SelectorCliTest.Run r = run(cachedArgs(cached));
        assertEquals(0, r.code(), r.out() + r.err());
        RlData a = RlDataReader.read(cached), b = RlDataReader.read(plain);
        assertEquals(b.queries().stream().map(RlQuery::key).toList(), a.queries().stream().map(RlQuery::key).toList());
        for (int qi = 0; qi < a.queries().size(); qi++) {
            List<RlCandidate> ca = a.queries().get(qi).candidates(), cb = b.queries().get(qi).candidates();
            assertEquals(cb.size(), ca.size());
            for (int k = 0; k < ca.size(); k++) {
                ObjectNode x = ca.get(k).raw().deepCopy(), y = cb.get(k).raw().deepCopy();
                double px = x.remove("vqa_gt_prob").asDouble(), py = y.remove("vqa_gt_prob").asDouble();
                assertEquals(y, x, "query " + qi + " candidate " + k);
                assertEquals(py, px, 1e-5 * py, "vqa_gt_prob of query " + qi + " candidate " + k);
            }
        }
        SelectorCliTest.Run c1 = run(cachedArgs(crashed), "-Dlever.rlgen.stopAfterChunks=1");
        assertNotEquals(0, c1.code());
        SelectorCliTest.Run c2 = run(cachedArgs(crashed));
        assertEquals(0, c2.code(), c2.out() + c2.err());
        assertArrayEquals(Files.readAllBytes(cached), Files.readAllBytes(crashed));
    }

    static List<String> cachedArgs(Path out) {
        List<String> a = args(out);
        a.remove("--no-prefix-cache");
        return a;
    }

    @Test void fallbackKeepsUngradableCandidatesWithTheirMode() throws Exception {
        Path out = dir.resolve("fb.json");
        SelectorCliTest.Run r = run(args(out, "--allow-fallback", "--proposers", "retrieval,random"));
        assertEquals(0, r.code(), r.out() + r.err());
        RlQuery q6 = RlDataReader.read(out).queries().stream().filter(q -> q.key().equals("6")).findFirst().orElseThrow();
        for (RlCandidate c : q6.candidates()) {
            assertEquals("fallback", c.raw().get("vqa_eval_mode").asText());
            assertTrue(Set.of("random", "retrieval").contains(c.genMethod()));
        }
    }

    @Test void badInputsAreClearErrorsAndWriteNothing() throws Exception {
        // a selector that does not match the embeddings
        Path wrong = dir.resolve("wrong.safetensors");
        try (TensorScope s = TensorScope.open(); PointerSelector m = PointerSelector.create(SelectorConfig.defaults().withSizes(16, 6, 1), 2)) {
            SelectorCheckpoint.save(wrong, m, Map.of());
        }
        Path out = dir.resolve("bad.json");
        List<String> a = args(out);
        a.set(a.indexOf("--checkpoint") + 1, wrong.toString());
        SelectorCliTest.Run r = run(a);
        assertEquals(1, r.code());
        assertTrue(r.err().contains("16-d"), r.err());
        // an unknown id in the pools file
        Path badPools = dir.resolve("badpools.json");
        Files.writeString(badPools, "{\"0\": [1, 2, 99]}");
        a = args(out);
        a.set(a.indexOf("--pools") + 1, badPools.toString());
        r = run(a);
        assertEquals(1, r.code());
        assertTrue(r.err().contains("unknown id 99"), r.err());
        // a missing image
        Path badItems = dir.resolve("missing.jsonl");
        Files.writeString(badItems, Files.readString(items).replace(PICS[1], "no-such.png"));
        a = args(out);
        a.set(a.indexOf("--items") + 1, badItems.toString());
        r = run(a);
        assertEquals(1, r.code());
        assertTrue(r.err().contains("no-such.png"), r.err());
        assertFalse(Files.exists(out));
        // beam/sample without a checkpoint
        a = args(out);
        int i = a.indexOf("--checkpoint");
        a.remove(i); a.remove(i);
        r = run(a);
        assertEquals(1, r.code());
        assertTrue(r.err().contains("--checkpoint"), r.err());
    }
}
