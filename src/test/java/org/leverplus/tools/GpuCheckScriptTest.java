package org.leverplus.tools;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.*;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/**
 * tools/gpu-check.sh before any GPU appears: its dry run (every comparison on the CPU, through the real CLI), its
 * command line, and its comparators and report on planted mismatches, so that the first GPU session runs a script
 * that is known to work.
 */
class GpuCheckScriptTest {
    private static final Path ROOT = Path.of("").toAbsolutePath();
    private static final Path SCRIPT = ROOT.resolve("tools/gpu-check.sh");
    private static final Path REPORT = ROOT.resolve("tools/gpu/report.py");
    @TempDir Path dir;

    record Run(int code, String out) {}

    @BeforeAll
    static void needsBashAndPython() {
        assumeTrue(Files.isExecutable(Path.of("/bin/bash")), "no /bin/bash: the GPU check script cannot run here");
        assumeTrue(run(List.of("python3", "--version")).code == 0, "no python3 on PATH: the GPU check script needs it");
    }

    static Run run(List<String> cmd) {
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(ROOT.toFile()).redirectErrorStream(true);
            Process p = pb.start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertTrue(p.waitFor(10, TimeUnit.MINUTES), "timed out: " + cmd);
            return new Run(p.exitValue(), out);
        } catch (IOException e) {
            return new Run(127, e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError(e);
        }
    }

    private static Run py(String... args) {
        List<String> cmd = new ArrayList<>(List.of("python3", REPORT.toString()));
        cmd.addAll(List.of(args));
        return run(cmd);
    }

    @Test
    void dryRunExercisesEveryCpuStepAndWritesTheReport() throws Exception {
        Path out = dir.resolve("report"), work = dir.resolve("work");
        List<String> cmd = new ArrayList<>(List.of("bash", SCRIPT.toString(), "--dry-run", "--out", out.toString(),
                "--work", work.toString()));
        Path nb = ROOT.resolve("target/native-build");
        if (Files.exists(nb.resolve("libleverkernels.so"))) cmd.addAll(List.of("--native-build", nb.toString()));
        Run r = run(cmd);
        assertEquals(0, r.code, r.out);
        JsonNode report = new ObjectMapper().readTree(out.resolve("report.json").toFile());
        assertTrue(report.get("pass").asBoolean(), r.out);
        Map<String, JsonNode> steps = new HashMap<>();
        report.get("steps").forEach(s -> steps.put(s.get("name").asText(), s));
        for (String s : List.of("env", "native", "kernels", "transformers", "java-gpu-tests", "engine", "train")) {
            assertTrue(steps.containsKey(s), "step " + s + " missing: " + steps.keySet());
            String status = steps.get(s).get("status").asText();
            assertTrue(status.equals("pass") || status.equals("skip"), s + ": " + steps.get(s));
            if (status.equals("skip")) assertFalse(steps.get(s).get("detail").asText().isBlank(), "a skip says why: " + s);
        }
        // the CPU parts really ran: the native self-check, the engine's comparisons and the training comparison
        assertEquals("pass", steps.get("native").get("status").asText());
        assertEquals("pass", steps.get("engine").get("status").asText(), steps.get("engine").toString());
        assertEquals(5, steps.get("engine").get("data").get("checks").size());
        assertEquals("pass", steps.get("train").get("status").asText(), steps.get("train").toString());
        String md = Files.readString(out.resolve("report.md"));
        assertTrue(md.contains("| engine | pass |") && md.contains("Result: **PASS**"), md);
        assertTrue(Files.size(out.resolve("logs.tgz")) > 0);
    }

    @Test
    void commandLineErrorsExitTwo() {
        Run none = run(List.of("bash", SCRIPT.toString()));
        assertEquals(2, none.code);
        assertTrue(none.out.contains("--out DIR is required"), none.out);
        Run bad = run(List.of("bash", SCRIPT.toString(), "--out", dir.toString(), "--frobnicate"));
        assertEquals(2, bad.code);
        assertTrue(bad.out.contains("unknown argument '--frobnicate'"), bad.out);
    }

    @Test
    void comparatorsFailOnPlantedMismatches() throws Exception {
        Path a = dir.resolve("a.jsonl"), b = dir.resolve("b.jsonl"), c = dir.resolve("c.jsonl");
        Files.writeString(a, "{\"id\":\"q1\",\"logprob_mean\":-2.0,\"token_logprobs\":[-1.0,-3.0],\"tokens\":[5,6]}\n");
        Files.writeString(b, "{\"id\":\"q1\",\"logprob_mean\":-2.00001,\"token_logprobs\":[-1.00001,-3.00001],\"tokens\":[5,6]}\n");
        Files.writeString(c, "{\"id\":\"q1\",\"logprob_mean\":-2.5,\"token_logprobs\":[-1.0,-4.0],\"tokens\":[5,7]}\n");
        assertEquals(0, py("compare-scores", a.toString(), b.toString(), "--tol", "1e-4").code);
        Run mis = py("compare-scores", a.toString(), c.toString(), "--tol", "1e-4");
        assertEquals(1, mis.code);
        assertTrue(mis.out.contains("MISMATCH") && mis.out.contains("q1"), mis.out);
        assertEquals(0, py("compare-scores", a.toString(), c.toString(), "--tol", "0.3", "--relative").code);
        assertEquals(1, py("compare-scores", a.toString(), c.toString(), "--tol", "0.2", "--relative").code);
        assertEquals(0, py("compare-tokens", a.toString(), b.toString()).code);
        assertEquals(1, py("compare-tokens", a.toString(), c.toString()).code);
        Path m1 = dir.resolve("m1.jsonl"), m2 = dir.resolve("m2.jsonl");
        Files.writeString(m1, "{\"phase\":\"rce\",\"epoch\":1,\"train_loss\":0.5}\n");
        Files.writeString(m2, "{\"phase\":\"rce\",\"epoch\":1,\"train_loss\":0.51}\n");
        assertEquals(1, py("compare-losses", m1.toString(), m2.toString(), "--tol", "1e-4").code);
        assertEquals(0, py("compare-losses", m1.toString(), m1.toString(), "--tol", "1e-4").code);
    }

    @Test
    void aFailedStepFailsTheReport() throws Exception {
        Path out = dir.resolve("r");
        assertEquals(0, py("step", out.toString(), "native", "pass", "ok").code);
        assertEquals(0, py("step", out.toString(), "kernels", "fail", "answer log-probs off by 3e-2").code);
        assertEquals(0, py("step", out.toString(), "transformers", "skip", "no transformers").code);
        Run w = py("write", out.toString());
        assertEquals(1, w.code, w.out);
        String md = Files.readString(out.resolve("report.md"));
        assertTrue(md.contains("FAIL: kernels") && md.contains("| transformers | skip |"), md);
        assertNotEquals(0, py("step", out.toString(), "x", "maybe", "").code, "unknown status refused");
    }
}
