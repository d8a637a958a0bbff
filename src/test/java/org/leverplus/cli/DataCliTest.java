package org.leverplus.cli;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

/** The data and metric commands end to end through picocli: outputs, exit codes, one-line errors. */
class DataCliTest {
    @TempDir Path dir;

    private static LeverCliTest.Run run(String... args) {
        return LeverCliTest.run(args);
    }

    @Test
    void synthesiseStatsFilterValidate() throws Exception {
        Path rl = dir.resolve("rl.json"), out = dir.resolve("f.json");
        assertEquals(0, run("data", "make-synthetic", "--format", "v4", "--queries", "40", "--candidates", "10", "--out", rl.toString()).code());
        LeverCliTest.Run s = run("data", "stats", rl.toString(), "--json");
        assertEquals(0, s.code(), s.err());
        assertTrue(s.out().contains("\"queries\" : 40") && s.out().contains("\"candidates\" : 400"), s.out());
        assertTrue(run("data", "stats", rl.toString()).out().contains("positive_ratio"));
        assertEquals(0, run("data", "filter", rl.toString(), "--mixed-only", "--out", out.toString()).code());
        LeverCliTest.Run again = run("data", "filter", rl.toString(), "--mixed-only", "--out", out.toString());
        assertEquals(LeverCli.EXIT_FAILURE, again.code());
        assertTrue(again.err().startsWith("lever: error: ") && again.err().contains("--overwrite"), again.err());
        LeverCliTest.Run v = run("data", "validate", out.toString());
        assertEquals(0, v.code(), v.out());
        assertTrue(v.out().contains("valid"));
    }

    @Test
    void synthesisedEmbeddingsCoverThePool() throws Exception {
        Path rl = dir.resolve("rl.json"), emb = dir.resolve("emb.safetensors");
        LeverCliTest.Run r = run("data", "make-synthetic", "--format", "k64", "--queries", "10", "--candidates", "5",
                "--pool", "300", "--out", rl.toString(), "--embeddings-out", emb.toString(), "--dim", "16");
        assertEquals(0, r.code(), r.err());
        org.leverplus.data.Embeddings e = org.leverplus.data.Embeddings.readSafetensors(emb);
        assertEquals(300, e.rows());
        assertEquals(16, e.dim());
        assertNotEquals(e.get(0, 0), e.get(1, 0));
        assertEquals(LeverCli.EXIT_FAILURE, run("data", "make-synthetic", "--queries", "10", "--pool", "300", "--out",
                dir.resolve("rl2.json").toString(), "--embeddings-out", emb.toString()).code(), "refuses to overwrite");
        assertFalse(Files.exists(dir.resolve("rl2.json")), "nothing written when one of the outputs is refused");
    }

    @Test
    void validateExitsNonZeroWithOneLinePerProblem() throws Exception {
        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, "{\"3\": {\"pointer_candidates\": [{\"pointer\": [3, 3], \"vqa_acc_score\": 2.0}]}}");
        LeverCliTest.Run v = run("data", "validate", bad.toString());
        assertEquals(LeverCli.EXIT_FAILURE, v.code());
        assertEquals(3, v.out().strip().split("\n").length, v.out()); // repeated ICD, query in sequence, acc range
    }

    @Test
    void metricVqaPerLineAndErrors() throws Exception {
        Path in = dir.resolve("p.jsonl");
        Files.writeString(in, "{\"pred\": \"Two\", \"gts\": [\"2\",\"2\",\"2\",\"two\",\"3\",\"2\",\"2\",\"2\",\"2\",\"2\"]}\n"
                + "{\"pred\": \"cat\", \"gts\": [\"dog\",\"dog\",\"dog\",\"dog\",\"dog\",\"dog\",\"dog\",\"dog\",\"cat\",\"cat\"]}\n");
        LeverCliTest.Run r = run("metric", "vqa", "--in", in.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals("1.0\n0.5999999999999999\n", r.out().replace("\r", "")); // (8·2/3 + 2·1/3)/10 in order, as Python sums it
        Files.writeString(in, "{\"pred\": \"a\", \"gts\": [\"a\"]}\nnot json\n");
        LeverCliTest.Run bad = run("metric", "vqa", "--in", in.toString());
        assertEquals(LeverCli.EXIT_FAILURE, bad.code());
        assertTrue(bad.err().contains("line 2: malformed JSON"), bad.err());
    }
}
