package org.leverplus.vlm.engine;

import org.bytedeco.javacpp.Pointer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leverplus.testing.ResidentMemory;
import org.leverplus.vlm.Qwen25VlSnapshot;
import org.leverplus.vlm.model.ModelOptions;
import org.leverplus.vlm.model.Qwen25VlModel;
import org.leverplus.vlm.model.TinySnapshotWriter;

import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Beam search keeps memory flat in the number of generated tokens: each step runs in its own scope and the KV cache
 * reorder drops the old copy. On the make-tiny snapshot (Qwen's 151,936-token vocabulary) one step's log-probs and
 * their float64 copy are about 5 MB, so keeping every step (the old behaviour) grew ~13 MB per token: 4.5 GB more at
 * 400 tokens than at 50.
 */
class BeamMemoryTest {
    @Test void peakResidentMemoryDoesNotGrowWithGeneratedTokens(@TempDir Path tmp) throws Exception {
        TinySnapshotWriter.write(tmp, TinySnapshotWriter.tiny(), TinySnapshotWriter.Layout.NEW, 1, null);
        try (Qwen25VlModel m = Qwen25VlModel.load(Qwen25VlSnapshot.open(tmp), ModelOptions.defaults());
             VlmEngine e = new VlmEngine(m, EngineOptions.defaults())) {
            Prompt p = new Prompt(new int[]{151644, 872, 198, 3838, 374, 419, 30, 151645, 198, 151644, 77091, 198}, List.of());
            VlmGenerator g = new VlmGenerator(e);
            Set<Integer> noEos = Set.of(); // never stops early: every run generates exactly maxNewTokens
            assertEquals(50, g.generate(List.of(p), new GenerationSettings(3, 50, noEos)).get(0).tokens().length);
            ResidentMemory.baseline();
            long peak50 = peakDuring(() -> g.generate(List.of(p), new GenerationSettings(3, 50, noEos)));
            long peak400 = peakDuring(() -> {
                assertEquals(400, g.generate(List.of(p), new GenerationSettings(3, 400, noEos)).get(0).tokens().length);
            });
            long grown = peak400 - peak50;
            assertTrue(grown < 96L << 20, "peak RSS at 400 tokens exceeds 50 tokens by " + (grown >> 20) + " MB");
        }
    }

    /** The highest resident set seen (sampled every 2 ms) while {@code r} runs. */
    static long peakDuring(Runnable r) throws InterruptedException {
        AtomicLong peak = new AtomicLong(Pointer.physicalBytes());
        AtomicBoolean stop = new AtomicBoolean();
        Thread sampler = new Thread(() -> {
            while (!stop.get()) {
                peak.accumulateAndGet(Pointer.physicalBytes(), Math::max);
                try { Thread.sleep(2); } catch (InterruptedException ex) { return; }
            }
        });
        sampler.start();
        try {
            r.run();
        } finally {
            stop.set(true);
            sampler.join();
        }
        return Math.max(peak.get(), Pointer.physicalBytes());
    }
}
