package org.leverplus.pipeline;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leverplus.cli.LeverCli;
import org.leverplus.torch.TorchRuntime;
import org.leverplus.vlm.TestTokenizers;
import org.leverplus.vlm.model.TinySnapshotWriter;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * `lever pipeline run` with the real stages on a tiny world (tiny random Qwen2.5-VL and CLIP): embed, sample, SFT data,
 * SFT training, RL data, RCE training, evaluation; a second run skips every stage.
 */
class PipelineEndToEndTest {
    @Test
    void theStandardStagesRunEndToEndAndThenSkip(@TempDir Path dir) throws Exception {
        TorchRuntime.init();
        Path snap = dir.resolve("tiny");
        TinySnapshotWriter.write(snap, TinySnapshotWriter.tiny(), TinySnapshotWriter.Layout.NEW, 3, TestTokenizers.snapshotDir().resolve("tokenizer.json"));
        Path v = dir.resolve("vqa");
        assertEquals(0, LeverCli.commandLine().execute("eval", "make-tiny-data", "--out", v.toString(), "--train", "14", "--val", "4", "--dim", "16"));
        assertEquals(0, LeverCli.commandLine().execute("clip", "make-tiny", "--out", dir.resolve("clip").toString(), "--geometry", "b32"));
        Path yaml = dir.resolve("pipeline.yaml");
        Files.writeString(yaml, String.join("\n",
                "run_dir: run",
                "dataset: {name: okvqa, data_dir: vqa/data, train_images: vqa/images/train, val_images: vqa/images/val}",
                "vlm: {snapshot: tiny}",
                "clip: {snapshot: clip}          # the embed stage runs lever embed for every feature file",
                "sample: {anchors: 4, candidates: 5}",
                "sft_data: {beam_size: 2}",
                "sft_train: {epochs: 1, extra_args: [--hidden-dim, '32', --train-ratio, '0.75']}",
                "rl_data: {balanced_filter: false, extra_args: [--proposers, 'beam,random', --num-beams, '1']}   # a tiny random VLM labels everything 0: nothing is balanced",
                "train: {rce_epochs: 1, extra_args: [--hidden-dim, '32']}",
                "eval: {methods: [selector, zero, random, t2t], shots: [1, 2], limit: 3, extra_args: [--num-beams, '1', --bootstrap, '100', --permutations, '100']}",
                ""));
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
        PrintStream old = System.out;
        System.setOut(out);
        try {
            assertEquals(0, LeverCli.commandLine().execute("pipeline", "run", yaml.toString()));
            assertEquals(0, LeverCli.commandLine().execute("pipeline", "run", yaml.toString()));
            assertEquals(0, LeverCli.commandLine().execute("pipeline", "status", yaml.toString()));
        } finally {
            System.setOut(old);
        }
        String log = bytes.toString(StandardCharsets.UTF_8);
        Path run = dir.resolve("run");
        List<String> stages;
        try (var s = Files.list(run)) {
            stages = s.map(p -> p.getFileName().toString()).filter(n -> !n.startsWith(".")).sorted().toList();
        }
        assertEquals(List.of("01-embed", "02-sample", "03-sft_data", "04-sft_train", "05-rl_data", "06-train", "07-eval"), stages);
        assertTrue(Files.exists(run.resolve("01-embed/clip_val_text.safetensors")) && Files.exists(run.resolve("05-rl_data/rl.json")));
        for (String st : stages) assertTrue(Files.exists(run.resolve(st).resolve("manifest.json")), st + " finished");
        Path evalDir = run.resolve(stages.get(stages.size() - 1));
        assertTrue(Files.exists(evalDir.resolve("eval.json")) && Files.exists(evalDir.resolve("report.html")), log);
        assertTrue(log.contains("[eval] skip: done"), "the second run skips every stage:\n" + log);
        assertTrue(log.lines().filter(l -> l.contains(" done ") || l.contains("done   ")).count() >= stages.size(), log);
    }
}
