package org.leverplus.vlm.engine;

import org.junit.jupiter.api.Test;
import org.leverplus.vlm.model.ModelOptions;
import org.leverplus.vlm.model.Qwen25VlModel;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Repeated scoring and generation release their native memory: every step runs in a TensorScope and only the caches
 * keep tensors. Without the scopes the resident set grows by several MB per call here.
 */
class EngineMemoryTest {
    @Test void residentMemoryStaysFlat() {
        try (TinyFixture fx = new TinyFixture(); Qwen25VlModel m = TinyFixture.load("snapshot-legacy", ModelOptions.defaults());
             VlmEngine e = new VlmEngine(m, EngineOptions.defaults())) {
            List<ScoreRequest> reqs = new ArrayList<>();
            for (int i = 0; i < fx.prompts(); i++) reqs.add(fx.scoreRequest(i));
            Prompt gen = fx.prompt(fx.generation());
            VlmScorer scorer = new VlmScorer(e);
            VlmGenerator g = new VlmGenerator(e);
            Runnable step = () -> {
                scorer.score(reqs);
                g.generate(List.of(gen), GenerationSettings.leverPlus(Set.of(TinyFixture.IM_END)));
            };
            for (int i = 0; i < 10; i++) step.run(); // warm-up: caches fill, allocator pools settle
            long before = org.leverplus.testing.ResidentMemory.baseline();
            for (int i = 0; i < 60; i++) step.run();
            long grown = org.leverplus.testing.ResidentMemory.now() - before;
            assertTrue(grown < 16L << 20, "resident memory grew by " + (grown >> 20) + " MB over 60 steps");
        }
    }
}
