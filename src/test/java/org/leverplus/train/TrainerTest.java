package org.leverplus.train;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leverplus.data.SyntheticRlData;
import org.leverplus.io.Safetensors;
import org.leverplus.io.SafetensorsFile;
import org.leverplus.selector.SelectorCheckpoint;
import org.leverplus.selector.SelectorConfig;
import org.leverplus.selector.Tensors;
import org.leverplus.torch.TensorScope;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class TrainerTest {
    static final int D = 8;
    static final SelectorConfig TINY = SelectorConfig.defaults().withSizes(D, 6, 1);

    /** Synthetic k64 RL data (10 queries, 6 candidates) and a random [80, 8] embedding matrix. */
    static Path[] data(Path dir) throws Exception {
        Path rl = dir.resolve("rl.json"), emb = dir.resolve("emb.safetensors");
        if (!Files.exists(rl)) {
            SyntheticRlData.write(new SyntheticRlData.Spec(SyntheticRlData.Format.K64, 10, 6, 80, 4), rl, false);
            try (TensorScope s = TensorScope.open()) {
                torch.manual_seed(9);
                Safetensors.write(emb, Map.of("embeddings", torch.randn(80, D)), Map.of());
            }
        }
        return new Path[]{rl, emb};
    }

    static TrainConfig config(Path run, Path[] d, int rce, int grpo) {
        return TrainConfig.defaults(run, d[0], d[1]).withSelector(TINY)
                .withPhases(new TrainConfig.Phase(0, 1e-4, 1e-3, null), new TrainConfig.Phase(rce, 1e-2, 0.01, null),
                        new TrainConfig.Phase(grpo, 1e-3, 0.01, null));
    }

    static PrintStream quiet() { return new PrintStream(new ByteArrayOutputStream()); }

    @Test void rceDisabledGrpoWritesOnlyRceCheckpointsAndGuardsTheRunDirectory(@TempDir Path dir) throws Exception {
        Path[] d = data(dir);
        Path run = dir.resolve("run");
        Trainer.Result r = new Trainer(config(run, d, 2, 0), quiet()).run();
        assertEquals(run.resolve("rce_epoch2.safetensors"), r.finalCheckpoint());
        assertTrue(Files.exists(run.resolve("rce_epoch1.safetensors")));
        try (var s = Files.list(run)) { assertTrue(s.noneMatch(f -> f.getFileName().toString().startsWith("grpo"))); }
        assertTrue(Files.readString(run.resolve("run.json")).contains("\"status\" : \"complete\""));
        List<String> lines = Files.readAllLines(run.resolve("metrics.jsonl"));
        assertTrue(lines.stream().anyMatch(l -> l.contains("\"type\":\"epoch\"") && l.contains("val_loss")));
        assertTrue(lines.stream().anyMatch(l -> l.contains("\"temperature\":2.0")));
        try (SafetensorsFile f = Safetensors.open(run.resolve("rce_epoch2.safetensors"))) {
            assertEquals("rce", f.metadata().get("phase"));
            assertEquals("2", f.metadata().get("epoch"));
            assertEquals("v3", f.metadata().get("arch"));
        }
        // an existing run directory is refused without --overwrite / --resume
        IllegalStateException ex = assertThrows(IllegalStateException.class, () -> new Trainer(config(run, d, 2, 0), quiet()).run());
        assertTrue(ex.getMessage().contains("--overwrite"));

        // a second run with GRPO: the RCE checkpoint of the same epoch is identical (GRPO never touches it)
        Path run2 = dir.resolve("run2");
        new Trainer(config(run2, d, 2, 1), quiet()).run();
        assertTrue(Files.exists(run2.resolve("grpo_epoch1.safetensors")));
        assertArrayEquals(Files.readAllBytes(run.resolve("rce_epoch2.safetensors")), Files.readAllBytes(run2.resolve("rce_epoch2.safetensors")));
    }

    @Test void resumeEqualsAnUninterruptedRun(@TempDir Path dir) throws Exception {
        Path[] d = data(dir);
        Path full = dir.resolve("full"), cut = dir.resolve("cut");
        new Trainer(config(full, d, 2, 2), quiet()).run();
        Trainer t = new Trainer(config(cut, d, 2, 2), quiet());
        t.stopAfter(Trainer.PhaseName.RCE, 1);
        assertThrows(Trainer.Interrupted.class, t::run);
        assertFalse(Files.exists(cut.resolve("rce_epoch2.safetensors")));
        Trainer t2 = new Trainer(config(cut, d, 2, 2).withRun(42, true, 1, false, true), quiet());
        t2.stopAfter(Trainer.PhaseName.GRPO, 1);
        assertThrows(Trainer.Interrupted.class, t2::run);
        new Trainer(config(cut, d, 2, 2).withRun(42, true, 1, false, true), quiet()).run();
        for (String f : List.of("rce_epoch1.safetensors", "rce_epoch2.safetensors", "grpo_epoch1.safetensors", "grpo_epoch2.safetensors"))
            assertTensorsEqual(full.resolve(f), cut.resolve(f));
        assertEquals(Files.readAllLines(full.resolve("metrics.jsonl")).size(), Files.readAllLines(cut.resolve("metrics.jsonl")).size());
        try (SafetensorsFile a = Safetensors.open(full.resolve("grpo_epoch2.safetensors")); SafetensorsFile b = Safetensors.open(cut.resolve("grpo_epoch2.safetensors"))) {
            assertEquals(a.metadata().get("beta"), b.metadata().get("beta"));
        }
    }

    static void assertTensorsEqual(Path a, Path b) throws Exception {
        try (TensorScope s = TensorScope.open(); SafetensorsFile fa = Safetensors.open(a); SafetensorsFile fb = Safetensors.open(b)) {
            assertEquals(fa.names(), fb.names());
            for (String n : fa.names()) assertArrayEquals(Tensors.toFloats(fa.get(n)), Tensors.toFloats(fb.get(n)), 0f, a.getFileName() + " " + n);
        }
    }

    @Test void sftUsesPoolPositionsAsLabelsAndFeedsRce(@TempDir Path dir) throws Exception {
        Path[] d = data(dir);
        StringBuilder beams = new StringBuilder("{"), pools = new StringBuilder("{");
        java.util.Random r = new java.util.Random(5);
        for (int a = 0; a < 10; a++) {
            int[] pool = new int[12];
            for (int i = 0; i < 12; i++) pool[i] = r.nextInt(80);
            if (a > 0) { beams.append(','); pools.append(','); }
            pools.append('"').append(a).append("\":").append(java.util.Arrays.toString(pool));
            beams.append('"').append(a).append("\":{\"id_list\":[");
            for (int b = 0; b < 5; b++) beams.append(b > 0 ? "," : "").append('[').append(pool[b]).append(',').append(pool[b + 5]).append(',').append(a).append(']');
            beams.append("],\"score_list\":[5,4,3,2,1]}");
        }
        Path sft = dir.resolve("sft.json"), pl = dir.resolve("pools.json");
        Files.writeString(sft, beams.append('}'));
        Files.writeString(pl, pools.append('}'));
        List<TrainGroup> gs = SftGroups.read(sft, pl);
        assertEquals(10, gs.size());
        assertArrayEquals(new int[]{1, 6}, gs.get(3).labels()[1], "labels are positions in the anchor's pool");
        Path run = dir.resolve("sft-run");
        TrainConfig c = config(run, d, 1, 0).withSft(sft, pl, 0.1);
        c = c.withPhases(new TrainConfig.Phase(2, 1e-2, 1e-3, null), c.rce(), c.grpo());
        new Trainer(c, quiet()).run();
        for (String f : List.of("sft_epoch1.safetensors", "sft_epoch2.safetensors", "rce_epoch1.safetensors")) assertTrue(Files.exists(run.resolve(f)), f);
        List<String> epochs = Files.readAllLines(run.resolve("metrics.jsonl")).stream().filter(l -> l.contains("\"type\":\"epoch\"") && l.contains("\"sft\"")).toList();
        assertEquals(2, epochs.size());
        double l1 = new com.fasterxml.jackson.databind.ObjectMapper().readTree(epochs.get(0)).get("train_loss").asDouble();
        double l2 = new com.fasterxml.jackson.databind.ObjectMapper().readTree(epochs.get(1)).get("train_loss").asDouble();
        assertTrue(l2 < l1, l1 + " -> " + l2);
    }

    @Test void grpoFreezeBackboneAndReferencePolicyOptions(@TempDir Path dir) throws Exception {
        Path[] d = data(dir);
        Path run = dir.resolve("frozen");
        TrainConfig c = config(run, d, 1, 1).withGrpoOptions(new TrainConfig.GrpoOptions(0.2, 0.1, true,
                TrainConfig.GrpoReference.BEFORE_RCE, true, 1, 3, 5, true, false));
        new Trainer(c, quiet()).run();
        try (TensorScope s = TensorScope.open(); SafetensorsFile rce = Safetensors.open(run.resolve("rce_epoch1.safetensors"));
             SafetensorsFile grpo = Safetensors.open(run.resolve("grpo_epoch1.safetensors"));
             SafetensorsFile ref = Safetensors.open(run.resolve("grpo_reference.safetensors"));
             org.leverplus.selector.PointerSelector fresh = org.leverplus.selector.PointerSelector.create(TINY, 42)) {
            for (String n : rce.names()) {
                boolean frozen = n.startsWith("input_proj") || n.startsWith("query_proj") || n.startsWith("cand_proj");
                float[] a = Tensors.toFloats(rce.get(n)), b = Tensors.toFloats(grpo.get(n));
                if (frozen) assertArrayEquals(a, b, 0f, n + " is frozen during GRPO");
                else assertFalse(java.util.Arrays.equals(a, b), n + " trains during GRPO");
                // --grpo-reference before-rce: the reference is the policy RCE started from (here the seeded fresh model)
                assertArrayEquals(Tensors.toFloats(fresh.parameters().get(n)), Tensors.toFloats(ref.get(n)), 0f, n);
            }
        }
        List<String> grpoSteps = Files.readAllLines(run.resolve("metrics.jsonl")).stream()
                .filter(l -> l.contains("\"phase\":\"grpo\"") && l.contains("\"type\":\"step\"")).toList();
        assertFalse(grpoSteps.isEmpty());
        for (String k : List.of("beta", "kl", "mean_ratio", "std_advantage", "grad_norm", "groups_per_s")) assertTrue(grpoSteps.get(0).contains("\"" + k + "\""), k);
    }

    @Test void batchedGroupsGiveTheSameCheckpointsShapesAndRun(@TempDir Path dir) throws Exception {
        Path[] d = data(dir);
        Path run = dir.resolve("b4");
        new Trainer(config(run, d, 1, 1).withRun(1, true, 4, false, false), quiet()).run();
        try (SelectorCheckpoint.Loaded l = SelectorCheckpoint.load(run.resolve("grpo_epoch1.safetensors"), SelectorCheckpoint.LoadOptions.strict())) {
            assertTrue(l.match().ok());
        }
    }
}
