package org.leverplus.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leverplus.data.SyntheticRlData;
import org.leverplus.io.Safetensors;
import org.leverplus.selector.PointerSelector;
import org.leverplus.selector.SelectorCheckpoint;
import org.leverplus.selector.SelectorConfig;
import org.leverplus.torch.TensorScope;
import picocli.CommandLine;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** lever ckpt check / ckpt import / train / selector score end to end on tiny files. */
class SelectorCliTest {
    record Run(int code, String out, String err) {}

    static synchronized Run run(String... args) {
        PrintStream old = System.out;
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        StringWriter err = new StringWriter();
        try {
            System.setOut(new PrintStream(buf, true));
            CommandLine cl = LeverCli.commandLine();
            cl.setErr(new PrintWriter(err));
            int code = cl.execute(args);
            return new Run(code, buf.toString(), err.toString());
        } finally {
            System.setOut(old);
        }
    }

    @Test void ckptCheckExitsNonZeroNamingTheKey(@TempDir Path dir) throws Exception {
        SelectorConfig c = SelectorConfig.defaults().withSizes(8, 6, 1);
        Path good = dir.resolve("good.safetensors"), bad = dir.resolve("bad.safetensors");
        try (TensorScope s = TensorScope.open(); PointerSelector m = PointerSelector.create(c, 1)) {
            SelectorCheckpoint.save(good, m, Map.of());
            Map<String, Tensor> t = new LinkedHashMap<>();
            m.parameters().forEach((k, v) -> t.put(k, v.detach()));
            t.remove("attn_norms.0.bias");
            t.put("cand_proj.weight", torch.zeros(6, 7));
            Safetensors.write(bad, t, c.toMetadata());
        }
        Run ok = run("ckpt", "check", good.toString());
        assertEquals(0, ok.code(), ok.out() + ok.err());
        assertTrue(ok.out().contains("OK"));
        Run r = run("ckpt", "check", bad.toString());
        assertEquals(LeverCli.EXIT_FAILURE, r.code());
        assertTrue(r.out().contains("attn_norms.0.bias") && r.out().contains("cand_proj.weight: expected [6, 6], found [6, 7]"), r.out());
        Run arch = run("ckpt", "check", good.toString(), "--arch", "v4_5_additive");
        assertEquals(LeverCli.EXIT_FAILURE, arch.code());
        assertTrue(arch.out().contains("query_update_gate.weight") && arch.out().contains("decoder_gru.weight_ih"), arch.out());
        // each mismatch kind alone: exit 1, the key named
        try (TensorScope s = TensorScope.open(); PointerSelector m = PointerSelector.create(c, 1)) {
            Map<String, Tensor> base = new LinkedHashMap<>();
            m.parameters().forEach((k, v) -> base.put(k, v.detach()));
            List<Map.Entry<String, java.util.function.Consumer<Map<String, Tensor>>>> cases = List.of(
                    Map.entry("query_proj.weight", t -> t.remove("query_proj.weight")),
                    Map.entry("lever_lm.sen_model.x", t -> t.put("lever_lm.sen_model.x", torch.zeros(1))),
                    Map.entry("input_proj.weight: expected [6, 8], found [8, 6]", t -> t.put("input_proj.weight", torch.zeros(8, 6))),
                    Map.entry("attn_norms.0.weight: expected F32, found F64", t -> t.put("attn_norms.0.weight",
                            torch.ones(6).to(org.bytedeco.pytorch.global.torch.ScalarType.Double))));
            int i = 0;
            for (var cs : cases) {
                Map<String, Tensor> t = new LinkedHashMap<>(base);
                cs.getValue().accept(t);
                Path f = dir.resolve("case" + (i++) + ".safetensors");
                Safetensors.write(f, t, c.toMetadata());
                Run cr = run("ckpt", "check", f.toString());
                assertEquals(LeverCli.EXIT_FAILURE, cr.code(), cs.getKey());
                assertTrue(cr.out().contains(cs.getKey()), cr.out());
            }
        }
        Run allowed = run("ckpt", "check", bad.toString(), "--allow-missing", "attn_norms.*");
        assertEquals(LeverCli.EXIT_FAILURE, allowed.code(), "the shape mismatch still fails");
    }

    @Test void importTrainAndScoreEndToEnd(@TempDir Path dir) throws Exception {
        Path imported = dir.resolve("sft.safetensors");
        Run imp = run("ckpt", "import", "src/test/resources/selector-fixtures/sft_v2.ckpt", "--out", imported.toString());
        assertEquals(0, imp.code(), imp.out() + imp.err());
        assertTrue(imp.out().contains("sen_model.*") && imp.out().contains("OK"), imp.out());

        Path rl = dir.resolve("rl.json"), emb = dir.resolve("emb.safetensors");
        SyntheticRlData.write(new SyntheticRlData.Spec(SyntheticRlData.Format.K64, 8, 5, 80, 3), rl, false);
        try (TensorScope s = TensorScope.open()) {
            torch.manual_seed(2);
            Safetensors.write(emb, Map.of("embeddings", torch.randn(80, 8)), Map.of());
        }
        Path run = dir.resolve("run");
        Run tr = run("train", "--run-dir", run.toString(), "--rl-data", rl.toString(), "--embeddings", emb.toString(),
                "--hidden-dim", "6", "--rce-epochs", "1", "--init", imported.toString());
        assertEquals(0, tr.code(), tr.out() + tr.err());
        assertTrue(Files.exists(run.resolve("rce_epoch1.safetensors")));
        Run again = run("train", "--run-dir", run.toString(), "--rl-data", rl.toString(), "--embeddings", emb.toString(), "--hidden-dim", "6");
        assertEquals(LeverCli.EXIT_FAILURE, again.code());
        assertTrue(again.err().contains("--overwrite"), again.err());

        Path out = dir.resolve("score.jsonl");
        Run sc = run("selector", "score", "--checkpoint", run.resolve("rce_epoch1.safetensors").toString(), "--rl-data", rl.toString(),
                "--embeddings", emb.toString(), "--shots", "1,2,4", "--out", out.toString());
        assertEquals(0, sc.code(), sc.out() + sc.err());
        assertTrue(sc.out().contains("mean RCE loss"), sc.out());
        List<String> lines = Files.readAllLines(out);
        assertEquals(8, lines.size());
        JsonNode first = new ObjectMapper().readTree(lines.get(0));
        assertEquals(5, first.get("logprobs").size());
        assertEquals(4, first.get("selections").get("4").size());
        assertTrue(first.has("rce_loss"));
    }

    /** {@code lever ...} in its own JVM, as bin/lever runs it (a real crash and resume look like this). */
    static Run runInOwnJvm(java.util.List<String> a, String... jvmProps) {
        try {
            java.util.List<String> cmd = new java.util.ArrayList<>(java.util.List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx1g", "-XX:+UseSerialGC", "--enable-native-access=ALL-UNNAMED", "-cp", System.getProperty("java.class.path")));
            cmd.addAll(java.util.List.of(jvmProps));
            cmd.add(LeverCli.class.getName());
            cmd.addAll(a);
            Path err = Files.createTempFile("lever-err", ".txt"), out = Files.createTempFile("lever-out", ".txt");
            Process p = new ProcessBuilder(cmd).redirectError(err.toFile()).redirectOutput(out.toFile()).start();
            int code = p.waitFor();
            Run r = new Run(code, Files.readString(out), Files.readString(err));
            Files.delete(err);
            Files.delete(out);
            return r;
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

}
