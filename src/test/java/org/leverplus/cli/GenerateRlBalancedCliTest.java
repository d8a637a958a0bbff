package org.leverplus.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leverplus.rlgen.RlGenFixture;
import org.leverplus.data.Embeddings;
import org.leverplus.data.RlCandidate;
import org.leverplus.data.RlData;
import org.leverplus.data.RlDataReader;
import org.leverplus.data.RlQuery;
import org.leverplus.metric.VqaAccuracy;
import org.leverplus.rlgen.BalancedPairs;
import org.leverplus.vlm.TestTokenizers;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.*;

import static org.junit.jupiter.api.Assertions.*;

/**
 * lever generate rl --balanced end to end on the tiny random Qwen2.5-VL: a first (crashed) run reveals the VLM's
 * answer for every candidate pair (the journal keeps the labelled candidates of dropped queries); the human answers
 * are then chosen per query so that queries land inside the band, below it (all negative) and above it, and the real
 * run must keep exactly the queries the keep rule keeps, with the pairs of {@link BalancedPairs} for the seed. Crash +
 * resume and two shards merged give the same file; --target-queries stops early.
 */
class GenerateRlBalancedCliTest {
    static final String[] PICS = GenerateRlCliTest.PICS;
    static final String[][] QA = GenerateRlCliTest.QA;
    static final int N = 40, QUERIES = 4, PAIRS = 10;
    static final ObjectMapper JSON = new ObjectMapper();
    @TempDir static Path dir;
    static Path snap, emb;
    static Embeddings embeddings;

    @BeforeAll static void fixtures() throws Exception {
        snap = RlGenFixture.tinySnapshot(dir, TestTokenizers.snapshotDir().resolve("tokenizer.json"));
        emb = dir.resolve("emb.safetensors");
        embeddings = RlGenFixture.randomEmbeddings(emb, N, 3);
    }

    /** Items: the shown answer is fixed ("answer"), the grading answers ("answers") per query from {@code answers}. */
    static Path items(String name, Map<Integer, List<String>> answers) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < N; i++) {
            ObjectNode o = JSON.createObjectNode();
            o.put("id", 2000 + i);
            o.put("image", GenerateRlCliTest.IMAGES.resolve(PICS[i % PICS.length]).toString());
            o.put("question", QA[i % QA.length][0]);
            o.put("answer", QA[i % QA.length][1]);
            ArrayNode a = o.putArray("answers");
            answers.getOrDefault(i, List.of("zzz-never")).forEach(a::add);
            while (a.size() < 10) a.add("zzz-never");
            sb.append(JSON.writeValueAsString(o)).append('\n');
        }
        Path p = dir.resolve(name);
        Files.writeString(p, sb.toString());
        return p;
    }

    /** {@code lever ...} in its own JVM, as bin/lever runs it. */
    static SelectorCliTest.Run run(List<String> a, String... jvmProps) {
        return SelectorCliTest.runInOwnJvm(a, jvmProps);
    }

    static List<String> args(Path items, Path out, String... more) {
        List<String> a = new ArrayList<>(List.of("generate", "rl", "--balanced", "--items", items.toString(), "--embeddings", emb.toString(),
                "--snapshot", snap.toString(), "--out", out.toString(), "--start", "0", "--end", Integer.toString(QUERIES),
                "--chunk", "2", "--max-pairs", Integer.toString(PAIRS), "--no-prefix-cache"));
        a.addAll(List.of(more));
        return a;
    }

    @Test void balancedKeepsTheBandResumesShardsAndStopsAtTheTarget() throws Exception {
        // 1. probe: every query is all-negative ("zzz-never"); a crash after the last chunk leaves the journal
        Path probeItems = items("probe.jsonl", Map.of()), probeOut = dir.resolve("probe.json");
        SelectorCliTest.Run p = run(args(probeItems, probeOut), "-Dlever.rlgen.stopAfterChunks=2");
        assertNotEquals(0, p.code());
        assertTrue(p.err().contains("stopped after 2 chunks"), p.err());
        Map<Integer, List<String>> preds = new TreeMap<>();
        Map<Integer, List<String>> pointers = new TreeMap<>();
        List<String> lines = Files.readAllLines(dir.resolve("probe.json.journal.jsonl"));
        for (String l : lines.subList(1, lines.size())) {
            JsonNode rec = JSON.readTree(l);
            assertEquals("all-negative", rec.get("stats").get("skip_reason").asText(), l);
            int q = rec.get("key").asInt();
            List<String> ps = new ArrayList<>(), ptr = new ArrayList<>();
            for (JsonNode c : rec.get("dropped_value").get("pointer_candidates")) {
                ps.add(c.get("vqa_pred_answer").asText());
                ptr.add(c.get("pointer").toString());
            }
            preds.put(q, ps);
            pointers.put(q, ptr);
        }
        assertEquals(QUERIES, preds.size());
        // the pairs are BalancedPairs' for seed 42 (one stream over the queries in order), the query never in a pair
        BalancedPairs bp = new BalancedPairs(new BalancedPairs.Settings(10, 4, PAIRS, 42, 0), N);
        for (int q = 0; q < QUERIES; q++) {
            List<String> want = new ArrayList<>();
            for (int[] pr : bp.next(BalancedPairs.ranked(BalancedPairs.similarities(embeddings, q))))
                if (pr[0] != q && pr[1] != q) want.add("[" + pr[0] + "," + pr[1] + "]");
            assertEquals(want, pointers.get(q), "pairs of query " + q);
            assertTrue(want.size() >= PAIRS - 1, "query " + q + ": " + want.size() + " pairs");
        }

        // 2. answers per query: the preds that make the positive count hit a target (in band / above band / none)
        Map<Integer, List<String>> answers = new TreeMap<>();
        Map<Integer, String> expectedWhy = new TreeMap<>();
        String[] aims = {"band", "none", "above", "band"};
        for (int q = 0; q < QUERIES; q++) {
            List<String> ps = preds.get(q);
            int n = ps.size();
            Map<String, Integer> counts = new LinkedHashMap<>();
            for (String s : ps) if (!s.isBlank()) counts.merge(s, 1, Integer::sum);
            List<String> chosen = choose(counts, aims[q], n);
            answers.put(q, chosen);
            List<String> ans = new ArrayList<>(chosen);
            while (ans.size() < 10) ans.add("zzz-never");
            int pos = 0;
            for (String s : ps) if (VqaAccuracy.official().score(s, ans) > 0) pos++;
            expectedWhy.put(q, BalancedPairs.dropReason(pos, n, 0.4, 0.6));
        }
        assertTrue(expectedWhy.values().stream().anyMatch(Objects::isNull), "some query is in the band: " + expectedWhy + " " + preds);
        assertTrue(expectedWhy.containsValue("all-negative"), expectedWhy.toString());
        Path realItems = items("real.jsonl", answers), out = dir.resolve("balanced.json");
        SelectorCliTest.Run r = run(args(realItems, out));
        assertEquals(0, r.code(), r.out() + r.err());
        RlData d = RlDataReader.read(out);
        List<String> keptKeys = new ArrayList<>();
        expectedWhy.forEach((q, why) -> { if (why == null) keptKeys.add(Integer.toString(q)); });
        assertEquals(keptKeys, d.queries().stream().map(RlQuery::key).toList(), "kept queries (expected drops " + expectedWhy + ")");
        for (RlQuery q : d.queries()) {
            int pos = 0;
            for (RlCandidate c : q.candidates()) {
                assertEquals("similarity_interval", c.genMethod());
                int[] g = c.globalPointer();
                assertTrue(g[0] < g[1]);
                assertEquals((c.vqaAccScore() > 0) ? 1 : 0, c.vqaCorrect());
                assertEquals("official", c.raw().get("vqa_eval_mode").asText());
                pos += c.vqaCorrect();
            }
            assertEquals(pointers.get(q.index()), q.candidates().stream().map(c -> c.raw().get("pointer").toString()).toList());
            double ratio = (double) pos / q.candidates().size();
            assertTrue(ratio >= 0.4 && ratio <= 0.6 && pos > 0 && pos < q.candidates().size(), q.key() + ": " + ratio);
        }
        JsonNode meta = d.meta();
        assertEquals("balanced", meta.get("mode").asText());
        assertEquals(0, meta.get("start_idx").asInt());
        assertEquals(QUERIES, meta.get("end_idx").asInt());
        assertEquals(QUERIES, meta.get("num_queries_processed").asInt());
        assertEquals(PAIRS, meta.get("eval_per_query").asInt());
        assertEquals("[0.4,0.6]", meta.get("pos_ratio_range").toString());
        assertEquals(10, meta.get("intervals").asInt());
        assertEquals(4, meta.get("per_interval").asInt());
        assertEquals(42, meta.get("seed").asInt());
        Map<String, Integer> why = new TreeMap<>();
        expectedWhy.values().stream().filter(Objects::nonNull).forEach(w -> why.merge(w, 1, Integer::sum));
        JsonNode sk = meta.get("summary").get("queries_skipped_by_reason");
        assertEquals(why.size(), sk.size(), sk.toString());
        why.forEach((k, v) -> assertEquals(v.intValue(), sk.get(k).asInt(), sk.toString()));
        SelectorCliTest.Run v = SelectorCliTest.run("data", "validate", out.toString());
        assertEquals(0, v.code(), v.out() + v.err());
        SelectorCliTest.Run st = SelectorCliTest.run("data", "stats", out.toString());
        assertEquals(0, st.code(), st.out() + st.err());
        byte[] reference = Files.readAllBytes(out);

        // 3. a crash after the first chunk + a torn journal line, then a rerun: the same bytes
        Path crashed = dir.resolve("crashed.json");
        SelectorCliTest.Run c1 = run(args(realItems, crashed), "-Dlever.rlgen.stopAfterChunks=1");
        assertNotEquals(0, c1.code());
        assertFalse(Files.exists(crashed));
        Files.writeString(dir.resolve("crashed.json.journal.jsonl"), "{\"key\": \"2\", \"va", java.nio.file.StandardOpenOption.APPEND);
        SelectorCliTest.Run c2 = run(args(realItems, crashed));
        assertEquals(0, c2.code(), c2.out() + c2.err());
        assertTrue(c2.err().contains("resuming"), c2.err());
        assertArrayEquals(reference, Files.readAllBytes(crashed));

        // 4. two shards (the second advances the random stream past the first's queries) merged: the same queries
        Path s0 = dir.resolve("s0.json"), s1 = dir.resolve("s1.json"), merged = dir.resolve("merged.json");
        assertEquals(0, run(args(realItems, s0, "--shard", "0/2")).code());
        assertEquals(0, run(args(realItems, s1, "--shard", "1/2")).code());
        SelectorCliTest.Run m = SelectorCliTest.run("data", "merge", s0.toString(), s1.toString(), "--out", merged.toString());
        assertEquals(0, m.code(), m.out() + m.err());
        assertEquals(d.queries().stream().map(RlQuery::raw).toList(), RlDataReader.read(merged).queries().stream().map(RlQuery::raw).toList());

        // 5. --target-queries 1: only the first kept query, and no chunk after the one that reached it
        Path t = dir.resolve("target.json");
        SelectorCliTest.Run tr = run(args(realItems, t, "--target-queries", "1"));
        assertEquals(0, tr.code(), tr.out() + tr.err());
        RlData td = RlDataReader.read(t);
        assertEquals(List.of(keptKeys.get(0)), td.queries().stream().map(RlQuery::key).toList());
        assertTrue(td.meta().get("target_reached").asBoolean());
        int firstKept = Integer.parseInt(keptKeys.get(0));
        assertEquals(firstKept + 1, td.meta().get("num_queries_processed").asInt());
        assertEquals(d.queries().get(0).raw(), td.queries().get(0).raw());
    }

    /**
     * Distinct predictions whose total count reaches the aim for n candidates: "band" 0.4n..0.6n, "above" more than
     * 0.6n but not all, "all" every prediction, "none" nothing (a subset-sum over the counts; best effort).
     */
    static List<String> choose(Map<String, Integer> counts, String aim, int n) {
        if (aim.equals("none")) return List.of();
        if (aim.equals("all")) return new ArrayList<>(counts.keySet());
        int lo = aim.equals("band") ? (int) Math.ceil(0.4 * n) : (int) Math.floor(0.6 * n) + 1;
        int hi = aim.equals("band") ? (int) Math.floor(0.6 * n) : n - 1;
        List<String> keys = new ArrayList<>(counts.keySet());
        // reachable[s] = the subset (as a bit list) reaching sum s
        Map<Integer, List<String>> reach = new TreeMap<>();
        reach.put(0, List.of());
        for (String k : keys) {
            Map<Integer, List<String>> next = new TreeMap<>(reach);
            for (Map.Entry<Integer, List<String>> e : reach.entrySet()) {
                int s = e.getKey() + counts.get(k);
                if (!next.containsKey(s)) { List<String> l = new ArrayList<>(e.getValue()); l.add(k); next.put(s, l); }
            }
            reach = next;
        }
        for (int s = lo; s <= hi; s++) if (reach.containsKey(s)) return reach.get(s);
        return List.of();
    }
}
