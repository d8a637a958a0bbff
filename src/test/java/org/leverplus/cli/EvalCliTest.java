package org.leverplus.cli;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leverplus.torch.TorchRuntime;
import org.leverplus.vlm.TestTokenizers;
import org.leverplus.vlm.model.TinySnapshotWriter;

import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.leverplus.cli.LeverCliTest.run;

/** {@code lever eval make-tiny-data}, {@code lever eval} and {@code lever report} as the README tour runs them. */
class EvalCliTest {
    @Test void tinyEvaluationFromTheCommandLine(@TempDir Path dir) throws Exception {
        TorchRuntime.init();
        Path snap = dir.resolve("tiny");
        TinySnapshotWriter.write(snap, TinySnapshotWriter.tiny(), TinySnapshotWriter.Layout.NEW, 3, TestTokenizers.snapshotDir().resolve("tokenizer.json"));
        Path v = dir.resolve("vqa");
        LeverCliTest.Run mk = run("eval", "make-tiny-data", "--out", v.toString(), "--dim", "16");
        assertEquals(0, mk.code(), mk.err());
        assertEquals(LeverCli.EXIT_FAILURE, run("eval", "make-tiny-data", "--out", v.toString()).code(), "a non-empty directory is refused");

        Path out = dir.resolve("eval"), f = v.resolve("features");
        String[] args = {"eval", "--data-dir", v.resolve("data").toString(), "--train-images", v.resolve("images/train").toString(),
                "--val-images", v.resolve("images/val").toString(), "--snapshot", snap.toString(), "--methods", "zero,random,t2t",
                "--shots", "1,2", "--limit", "3", "--num-beams", "1", "--bootstrap", "200", "--permutations", "200",
                "--clip-train-text", f.resolve("clip-text-train.safetensors").toString(), "--clip-val-text", f.resolve("clip-text-val.safetensors").toString(),
                "--out", out.toString()};
        LeverCliTest.Run ev = run(args);
        assertEquals(0, ev.code(), ev.out() + ev.err());
        assertTrue(ev.out().contains("vs zero") && ev.out().contains("t2t"), ev.out());   // no selector: the first method is the reference
        for (String file : new String[]{"eval.json", "metrics.json", "report.html", "journal.jsonl"}) assertTrue(Files.exists(out.resolve(file)), file);
        JsonNode metrics = new ObjectMapper().readTree(out.resolve("metrics.json").toFile());
        assertTrue(metrics.fieldNames().next().endsWith("-test_data_num=3-ZeroRetriever"), metrics.toString());

        Path html = dir.resolve("again.html");
        LeverCliTest.Run rep = run("report", "--eval", out.resolve("eval.json").toString(), "--out", html.toString());
        assertEquals(0, rep.code(), rep.err());
        assertTrue(Files.readString(html).contains("Paired differences against zero"));
        assertEquals(LeverCli.EXIT_FAILURE, run("report", "--eval", out.resolve("eval.json").toString(), "--out", html.toString()).code(), "exists without --overwrite");

        LeverCliTest.Run noData = run("eval", "--snapshot", snap.toString(), "--out", out.toString());
        assertEquals(LeverCli.EXIT_FAILURE, noData.code());
        assertTrue(noData.err().contains("--data-dir"), noData.err());
        LeverCliTest.Run badMethod = run("eval", "--data-dir", v.resolve("data").toString(), "--train-images", "x", "--val-images", "y",
                "--snapshot", snap.toString(), "--out", out.toString(), "--methods", "zero,best");
        assertEquals(LeverCli.EXIT_FAILURE, badMethod.code());
        assertTrue(badMethod.err().contains("unknown method \"best\""), badMethod.err());
    }
}
