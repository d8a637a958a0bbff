package org.leverplus.cli;

import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leverplus.data.SyntheticRlData;
import org.leverplus.io.Safetensors;
import org.leverplus.io.SlowWriterMain;
import org.leverplus.torch.TensorScope;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The run directory: one writer at a time (a second lever train is refused, --overwrite included), no debris after a failure. */
class TrainRunDirTest {
    @Test void aSecondTrainIntoALockedRunDirIsRefusedEvenWithOverwrite(@TempDir Path dir) throws Exception {
        Path rl = dir.resolve("rl.json"), emb = dir.resolve("emb.safetensors"), run = dir.resolve("run");
        SyntheticRlData.write(new SyntheticRlData.Spec(SyntheticRlData.Format.K64, 8, 4, 80, 3), rl, false);
        try (TensorScope s = TensorScope.open()) {
            torch.manual_seed(2);
            Safetensors.write(emb, Map.of("embeddings", torch.randn(80, 8)), Map.of());
        }
        String[] train = {"train", "--run-dir", run.toString(), "--rl-data", rl.toString(), "--embeddings", emb.toString(),
                "--hidden-dim", "6", "--rce-epochs", "1"};
        assertEquals(0, LeverCliAccess.run(train).code());
        byte[] ckpt = Files.readAllBytes(run.resolve("rce_epoch1.safetensors"));
        Process holder = SlowWriterMain.start(run.toString(), "lock"); // another process is writing this run directory
        try {
            for (String extra : new String[]{"--overwrite", "--resume"}) {
                String[] again = java.util.Arrays.copyOf(train, train.length + 1);
                again[train.length] = extra;
                LeverCliAccess.Run r = LeverCliAccess.run(again);
                assertEquals(LeverCli.EXIT_FAILURE, r.code(), extra);
                assertTrue(r.err().contains("another lever process (pid " + holder.pid() + ") is writing to this run directory"), r.err());
                assertEquals(1, r.err().lines().count(), r.err());
            }
        } finally {
            holder.destroyForcibly();
            holder.waitFor();
        }
        assertTrue(java.util.Arrays.equals(ckpt, Files.readAllBytes(run.resolve("rce_epoch1.safetensors"))), "outputs untouched");
        String[] over = java.util.Arrays.copyOf(train, train.length + 1);
        over[train.length] = "--overwrite";
        assertEquals(0, LeverCliAccess.run(over).code(), "the lock died with its process");
    }

    @Test void aFailedRunLeavesNoRunDirectory(@TempDir Path dir) throws Exception {
        Path emb = dir.resolve("emb.safetensors"), run = dir.resolve("run");
        try (TensorScope s = TensorScope.open()) {
            Safetensors.write(emb, Map.of("embeddings", torch.randn(80, 8)), Map.of());
        }
        LeverCliAccess.Run r = LeverCliAccess.run("train", "--run-dir", run.toString(), "--rl-data", dir.resolve("missing.json").toString(),
                "--embeddings", emb.toString(), "--hidden-dim", "6");
        assertEquals(LeverCli.EXIT_FAILURE, r.code());
        assertFalse(Files.exists(run), "a failed run leaves no empty run directory");
    }
}
