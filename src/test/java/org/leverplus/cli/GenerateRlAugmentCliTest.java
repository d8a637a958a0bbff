package org.leverplus.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leverplus.rlgen.RlGenFixture;
import org.leverplus.data.RlCandidate;
import org.leverplus.data.RlData;
import org.leverplus.data.RlDataReader;
import org.leverplus.data.RlQuery;
import org.leverplus.vlm.TestTokenizers;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.*;

import static org.junit.jupiter.api.Assertions.*;

/**
 * lever generate rl --augment-diversity end to end on the tiny random Qwen2.5-VL: the human answers are never
 * predicted, so every new candidate scores 0: the all0 query spends its budget on top-L pairs by descending proxy,
 * the all1 and all06 queries stop after their first new candidate, diverse ones are untouched; the input file is not
 * changed, the class counts before/after are reported, a crash + resume writes the same bytes.
 */
class GenerateRlAugmentCliTest {
    static final int N = 12;
    static final ObjectMapper JSON = new ObjectMapper();
    @TempDir static Path dir;
    static Path snap, emb, items, input;

    @BeforeAll static void fixtures() throws Exception {
        snap = RlGenFixture.tinySnapshot(dir, TestTokenizers.snapshotDir().resolve("tokenizer.json"));
        emb = dir.resolve("emb.safetensors");
        RlGenFixture.randomEmbeddings(emb, N, 5);
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < N; i++) {
            ObjectNode o = JSON.createObjectNode();
            o.put("id", 3000 + i);
            o.put("image", GenerateRlCliTest.IMAGES.resolve(GenerateRlCliTest.PICS[i % 4]).toString());
            o.put("question", GenerateRlCliTest.QA[i % 7][0]);
            o.put("answer", GenerateRlCliTest.QA[i % 7][1]);
            var a = o.putArray("answers");
            for (int k = 0; k < 10; k++) a.add("zzz-never");
            sb.append(JSON.writeValueAsString(o)).append('\n');
        }
        items = dir.resolve("items.jsonl");
        Files.writeString(items, sb.toString());
        // v4-style global pointers: 0 all0, 1 all1, 2 all06, 3 diverse, 4 a single 0.3 (left alone, as the original)
        double[][] accs = {{0, 0}, {1, 1}, {0.6, 0.6}, {0, 1}, {0.3, 0.3}};
        ObjectNode root = JSON.createObjectNode();
        root.putObject("_meta").put("notes", "input file");
        for (int q = 0; q < accs.length; q++) {
            ObjectNode v = root.putObject(Integer.toString(q));
            v.putObject("query").put("query_id", q).put("question", GenerateRlCliTest.QA[q % 7][0]);
            var pcs = v.putArray("pointer_candidates");
            for (int c = 0; c < 2; c++) {
                int a = 5 + 2 * c, b = 6 + 2 * c;
                ObjectNode o = pcs.addObject();
                o.putArray("pointer").add(a).add(b);
                o.putArray("pointer_pos").add(a).add(b);
                o.put("gen_method", "random");
                o.put("vqa_correct", accs[q][c] > 0 ? 1 : 0);
                o.put("vqa_acc_score", accs[q][c]);
                o.put("vqa_eval_mode", "official");
            }
        }
        input = dir.resolve("in.json");
        Files.writeString(input, JSON.writerWithDefaultPrettyPrinter().writeValueAsString(root));
    }

    static List<String> args(Path out, String... more) {
        List<String> a = new ArrayList<>(List.of("generate", "rl", "--augment-diversity", "--rl-data", input.toString(),
                "--items", items.toString(), "--embeddings", emb.toString(), "--snapshot", snap.toString(), "--out", out.toString(),
                "--budget-all0", "3", "--aug-pool", "8", "--chunk", "2", "--no-prefix-cache"));
        a.addAll(List.of(more));
        return a;
    }

    @Test void augmentsSingleRewardQueriesOnly() throws Exception {
        byte[] in = Files.readAllBytes(input);
        Path out = dir.resolve("aug.json");
        SelectorCliTest.Run r = GenerateRlBalancedCliTest.run(args(out));
        assertEquals(0, r.code(), r.out() + r.err());
        assertArrayEquals(in, Files.readAllBytes(input), "the input is never modified");
        assertTrue(r.out().contains("classes before {all0=1, all06=1, all1=1, diverse=2}, after {all0=1, diverse=4}"), r.out());
        RlData before = RlDataReader.read(input), d = RlDataReader.read(out);
        assertEquals(List.of("0", "1", "2", "3", "4"), d.queries().stream().map(RlQuery::key).toList());
        int[] added = {3, 1, 1, 0, 0};
        String[] cls = {"all0", "all1", "all06"};
        for (int q = 0; q < 5; q++) {
            RlQuery a = d.queries().get(q), b = before.queries().get(q);
            assertEquals(b.candidates().size() + added[q], a.candidates().size(), "query " + q);
            for (int k = 0; k < b.candidates().size(); k++) assertEquals(b.candidates().get(k).raw(), a.candidates().get(k).raw());
            Set<String> sets = new HashSet<>();
            for (RlCandidate c : a.candidates()) assertTrue(sets.add(Arrays.toString(c.globalPointer())), "no pair twice");
            double lastProxy = Double.POSITIVE_INFINITY;
            for (RlCandidate c : a.candidates().subList(b.candidates().size(), a.candidates().size())) {
                int[] g = c.globalPointer();
                assertTrue(g[0] < g[1] && g[0] != q && g[1] != q, Arrays.toString(g));
                assertArrayEquals(g, c.pointerPos(), "pointer_pos written like the input's (global)");
                assertEquals(cls[q], c.raw().get("aug_type").asText());
                assertEquals(0.0, c.vqaAccScore());
                assertEquals("official", c.raw().get("vqa_eval_mode").asText());
                assertTrue(c.raw().has("vqa_gt_prob"));
                if (q == 0) {
                    assertEquals("aug_pos_topL_L50", c.genMethod());
                    assertEquals(1, c.raw().get("aug_round").asInt());
                    double px = c.raw().get("proxy_score").asDouble();
                    assertTrue(px <= lastProxy, "descending proxy for all0");
                    lastProxy = px;
                } else if (q == 1) assertEquals("aug_neg_bottom_B200", c.genMethod());
                else assertEquals("aug_neg_bottom_B200", c.genMethod());
            }
        }
        JsonNode aug = d.meta().get("diversity_augmentation");
        assertEquals("input file", d.meta().get("notes").asText());
        assertEquals(5, aug.get("candidates_evaluated").asInt());
        assertEquals(5, aug.get("candidates_appended").asInt());
        assertEquals(2, aug.get("queries_made_diverse").asInt());
        assertEquals(3, aug.get("max_eval_budget_all0").asInt());
        SelectorCliTest.Run v = SelectorCliTest.run("data", "validate", out.toString());
        assertEquals(0, v.code(), v.out() + v.err());
        byte[] reference = Files.readAllBytes(out);

        // crash after the first chunk, then a rerun: the same bytes
        Path crashed = dir.resolve("crashed.json");
        SelectorCliTest.Run c1 = GenerateRlBalancedCliTest.run(args(crashed), "-Dlever.rlgen.stopAfterChunks=1");
        assertNotEquals(0, c1.code());
        assertFalse(Files.exists(crashed));
        SelectorCliTest.Run c2 = GenerateRlBalancedCliTest.run(args(crashed));
        assertEquals(0, c2.code(), c2.out() + c2.err());
        assertTrue(c2.err().contains("resuming"), c2.err());
        assertArrayEquals(reference, Files.readAllBytes(crashed));

        // the input as output is refused
        List<String> a = args(input, "--overwrite");
        SelectorCliTest.Run bad = GenerateRlBalancedCliTest.run(a);
        assertEquals(1, bad.code());
        assertTrue(bad.err().contains("must not be the input"), bad.err());
        assertArrayEquals(in, Files.readAllBytes(input));

        // a query id outside the dataset: one line naming the file, the query and the problem; nothing written
        Path far = dir.resolve("far.json"), farOut = dir.resolve("far-out.json");
        Files.writeString(far, Files.readString(input).replace("\"0\" : {", "\"99\" : {"));
        List<String> fa = args(farOut);
        fa.set(fa.indexOf("--rl-data") + 1, far.toString());
        SelectorCliTest.Run f = GenerateRlBalancedCliTest.run(fa);
        assertEquals(1, f.code(), f.out() + f.err());
        assertTrue(f.err().contains(far + ": query \"99\": the query id is not in the dataset"), f.err());
        assertFalse(Files.exists(farOut));
    }
}
