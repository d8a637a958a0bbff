package org.leverplus.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leverplus.data.SyntheticRlData;
import org.leverplus.io.Safetensors;
import org.leverplus.torch.TensorScope;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** What users expect: JSON summaries in one key style, best.safetensors, extending a finished run, inspect, help text. */
class UxTest {
    /** A strict parser: NaN / Infinity tokens are errors, as in Node's JSON.parse. */
    static final ObjectMapper STRICT = new ObjectMapper();

    static {
        STRICT.getFactory().disable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS.mappedFeature());
    }

    static void assertSnakeCase(JsonNode n, String where) {
        if (n.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> e = it.next();
                if (!where.endsWith(".tensors") && !where.endsWith(".metadata") && !where.endsWith("best_epochs"))
                    assertTrue(e.getKey().matches("[a-z0-9_]+"), where + ": key \"" + e.getKey() + "\" is not snake_case");
                assertSnakeCase(e.getValue(), where + "." + e.getKey());
            }
        } else if (n.isArray()) {
            for (JsonNode x : n) assertSnakeCase(x, where + "[]");
        }
    }

    static JsonNode json(LeverCliAccess.Run r) throws Exception {
        assertEquals(0, r.code(), r.out() + r.err());
        JsonNode n = STRICT.readTree(r.out());
        assertSnakeCase(n, "");
        return n;
    }

    @Test void jsonSummariesBestCheckpointAndExtendingAFinishedRun(@TempDir Path dir) throws Exception {
        Path rl = dir.resolve("rl.json"), emb = dir.resolve("emb.safetensors"), run = dir.resolve("run");
        SyntheticRlData.write(new SyntheticRlData.Spec(SyntheticRlData.Format.K64, 12, 4, 80, 3), rl, false);
        try (TensorScope s = TensorScope.open()) {
            torch.manual_seed(2);
            Safetensors.write(emb, Map.of("embeddings", torch.randn(80, 8)), Map.of());
        }
        String[] train = {"train", "--run-dir", run.toString(), "--rl-data", rl.toString(), "--embeddings", emb.toString(),
                "--hidden-dim", "6", "--rce-epochs", "2", "--json"};
        JsonNode t = json(LeverCliAccess.run(train));
        assertEquals(run.resolve("rce_epoch2.safetensors").toString(), t.get("final_checkpoint").asText());
        int bestEpoch = t.get("best_epochs").get("rce").get("epoch").asInt();
        assertArrayEquals(Files.readAllBytes(run.resolve("rce_epoch" + bestEpoch + ".safetensors")), Files.readAllBytes(run.resolve("best.safetensors")));

        // --resume with more epochs extends the finished run; anything else changed is still refused
        String[] more = train.clone();
        more[more.length - 2] = "3";
        String[] extend = java.util.Arrays.copyOf(more, more.length + 1);
        extend[more.length] = "--resume";
        JsonNode e = json(LeverCliAccess.run(extend));
        assertEquals(run.resolve("rce_epoch3.safetensors").toString(), e.get("final_checkpoint").asText());
        String[] changed = java.util.Arrays.copyOf(extend, extend.length + 2);
        changed[extend.length] = "--seed";
        changed[extend.length + 1] = "7";
        LeverCliAccess.Run refused = LeverCliAccess.run(changed);
        assertEquals(LeverCli.EXIT_FAILURE, refused.code());
        assertTrue(refused.err().contains("only the epoch counts of a finished run may change"), refused.err());

        JsonNode check = json(LeverCliAccess.run("ckpt", "check", run.resolve("best.safetensors").toString(), "--json"));
        assertTrue(check.get("ok").asBoolean());
        JsonNode score = json(LeverCliAccess.run("selector", "score", "--checkpoint", run.resolve("best.safetensors").toString(),
                "--rl-data", rl.toString(), "--embeddings", emb.toString(), "--out", dir.resolve("s.jsonl").toString(), "--json"));
        assertTrue(score.get("mean_rce_loss").isNumber());
        for (String line : Files.readAllLines(dir.resolve("s.jsonl"))) STRICT.readTree(line); // strict JSON, no bare NaN
        JsonNode imp = json(LeverCliAccess.run("ckpt", "import", "src/test/resources/selector-fixtures/sft_v2.ckpt", "--out",
                dir.resolve("imp.safetensors").toString(), "--json"));
        assertEquals("v3", imp.get("arch").asText());
        JsonNode filter = json(LeverCliAccess.run("data", "filter", rl.toString(), "--out", dir.resolve("f.json").toString(), "--json"));
        assertTrue(filter.has("kept_queries"), filter.toString());
        JsonNode merge = json(LeverCliAccess.run("data", "merge", rl.toString(), "--out", dir.resolve("m.json").toString(), "--json"));
        assertTrue(merge.has("duplicate_keys"), merge.toString());
        JsonNode inspect = json(LeverCliAccess.run("inspect", run.resolve("best.safetensors").toString(), "--json"));
        assertEquals("selector checkpoint", inspect.get("kind").asText());
        assertEquals(6, inspect.get("selector").get("hidden_dim").asInt());
        assertTrue(inspect.get("parameters").asLong() > 0);
    }

    @Test void withoutValidationDataThereIsNoBestEpochAndNoNaN(@TempDir Path dir) throws Exception {
        Path rl = dir.resolve("rl.json"), emb = dir.resolve("emb.safetensors"), run = dir.resolve("run");
        SyntheticRlData.write(new SyntheticRlData.Spec(SyntheticRlData.Format.K64, 8, 4, 80, 3), rl, false);
        try (TensorScope s = TensorScope.open()) {
            Safetensors.write(emb, Map.of("embeddings", torch.randn(80, 8)), Map.of());
        }
        LeverCliAccess.Run r = LeverCliAccess.run("train", "--run-dir", run.toString(), "--rl-data", rl.toString(), "--embeddings", emb.toString(),
                "--hidden-dim", "6", "--rce-epochs", "1", "--train-ratio", "1");
        assertEquals(0, r.code(), r.err());
        assertFalse(r.out().contains("NaN"), r.out());
        assertTrue(r.out().contains("no validation data"), r.out());
        assertFalse(Files.exists(run.resolve("best.safetensors")));
        for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) STRICT.readTree(line);
    }

    @Test void everyOptionHasHelpText() {
        List<String> missing = new java.util.ArrayList<>();
        walk(LeverCli.commandLine(), missing);
        assertTrue(missing.isEmpty(), "options without a description: " + missing);
    }

    private static void walk(picocli.CommandLine cl, List<String> missing) {
        for (picocli.CommandLine.Model.OptionSpec o : cl.getCommandSpec().options())
            if (o.description().length == 0 || o.description()[0].isBlank())
                missing.add(cl.getCommandSpec().qualifiedName() + " " + o.longestName());
        for (picocli.CommandLine.Model.PositionalParamSpec p : cl.getCommandSpec().positionalParameters())
            if (p.description().length == 0 || p.description()[0].isBlank())
                missing.add(cl.getCommandSpec().qualifiedName() + " " + p.paramLabel());
        for (picocli.CommandLine sub : cl.getSubcommands().values()) if (sub != cl) walk(sub, missing);
    }
}
