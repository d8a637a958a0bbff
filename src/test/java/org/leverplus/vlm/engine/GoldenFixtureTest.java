package org.leverplus.vlm.engine;

import com.fasterxml.jackson.databind.JsonNode;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.leverplus.torch.TensorScope;
import org.leverplus.vlm.model.KvCache;
import org.leverplus.vlm.model.ModelOptions;
import org.leverplus.vlm.model.Qwen25VlModel;
import org.leverplus.vlm.model.Tensors;
import org.leverplus.vlm.model.VisionGrid;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * The Java forward against the independent plain-PyTorch reference (tools/qwen25vl_reference.py, float32): vision
 * tower output, window index, M-RoPE positions, full-vocabulary logits and log-probs at the answer positions, greedy
 * and beam-search tokens. Tolerance 1e-4 relative (float32).
 */
class GoldenFixtureTest {
    static TinyFixture fx;
    static Qwen25VlModel model;

    @BeforeAll static void load() {
        fx = new TinyFixture();
        model = TinyFixture.load("snapshot-legacy", ModelOptions.defaults());
    }

    @AfterAll static void close() {
        model.close();
        fx.close();
    }

    @Test void windowIndexMatchesReference() {
        VisionGrid g = new VisionGrid(List.of(fx.image("A").grid()), TinyFixture.dims().vision());
        assertArrayEquals(Tensors.toLongs(fx.golden("window_index.A")), g.windowIndex());
        long[] cu = Tensors.toLongs(fx.golden("cu_window_seqlens.A"));
        int[] got = g.cuWindowSeqlens();
        long[] gotL = new long[got.length];
        for (int i = 0; i < got.length; i++) gotL[i] = got[i];
        assertArrayEquals(cu, gotL);
    }

    @Test void visionTowerMatchesReference() {
        try (TensorScope s = TensorScope.open()) {
            for (String k : List.of("A", "B", "C")) {
                ImageInput im = fx.image(k);
                Tensor out = model.visual().forward(im.pixelValues(), List.of(im.grid()));
                Close.arrays("vision " + k, Tensors.toFloats(fx.golden("vision." + k)), Tensors.toFloats(out), 1e-4);
            }
            List<int[]> grids = new ArrayList<>();
            List<Tensor> px = new ArrayList<>();
            for (String k : List.of("A", "B", "C")) { grids.add(fx.image(k).grid()); px.add(fx.image(k).pixelValues()); }
            Tensor out = model.visual().forward(Tensors.cat(0, px.toArray(new Tensor[0])), grids);
            Close.arrays("vision ABC (one call)", Tensors.toFloats(fx.golden("vision.ABC")), Tensors.toFloats(out), 1e-4);
        }
    }

    @Test void positionsMatchReference() {
        for (int i = 0; i < fx.prompts(); i++) {
            Prompt p = fx.scoreRequest(i).prompt();
            List<org.leverplus.vlm.image.ImageGrid> grids = new ArrayList<>();
            for (ImageInput im : p.images()) grids.add(new org.leverplus.vlm.image.ImageGrid(im.grid()[0], im.grid()[1], im.grid()[2]));
            org.leverplus.vlm.text.PositionIds mp = org.leverplus.vlm.text.MRopeIndex.compute(p.ids(), grids, 2006, 2);
            long[] g = Tensors.toLongs(fx.golden("prompt" + i + ".position_ids"));
            int n = p.length();
            long[] got = new long[3 * n];
            for (int a = 0; a < 3; a++) System.arraycopy(mp.positions()[a], 0, got, a * n, n);
            assertArrayEquals(g, got, "positions of prompt " + i);
            assertEquals(fx.meta.get("prompts").get(i).get("rope_delta").asLong(), mp.ropeDelta(), "rope delta of prompt " + i + " (issue 5's MRopeIndex against the reference)");
        }
    }

    @Test void answerLogitsMatchReference() {
        try (VlmEngine engine = new VlmEngine(model, EngineOptions.uncached()); TensorScope s = TensorScope.open()) {
            for (int i = 0; i < fx.prompts(); i++) {
                ScoreRequest r = fx.scoreRequest(i);
                PreparedPrompt p = engine.prepare(r.prompt());
                VlmEngine.Batch b = engine.forward(List.of(p), 0, new KvCache(2), false);
                Tensor rows = b.hidden().select(0, 0).narrow(0, r.answerStart() - 1, r.answerLength());
                Tensor logits = model.text().logits(rows);
                Close.arrays("answer logits of prompt " + i, Tensors.toFloats(fx.golden("prompt" + i + ".answer_logits")), Tensors.toFloats(logits), 1e-4);
            }
        }
    }

    @Test void answerLogprobsMatchReference() {
        try (VlmEngine engine = new VlmEngine(model, EngineOptions.defaults())) {
            List<ScoreRequest> reqs = new ArrayList<>();
            for (int i = 0; i < fx.prompts(); i++) reqs.add(fx.scoreRequest(i));
            List<AnswerScore> got = new VlmScorer(engine).score(reqs);
            for (int i = 0; i < fx.prompts(); i++) {
                JsonNode p = fx.meta.get("prompts").get(i);
                float[] exp = Tensors.toFloats(fx.golden("prompt" + i + ".answer_logprobs"));
                double[] lp = got.get(i).tokenLogprobs();
                float[] gotF = new float[lp.length];
                for (int k = 0; k < lp.length; k++) gotF[k] = (float) lp[k];
                Close.arrays("answer log-probs of prompt " + i, exp, gotF, 1e-4);
                Close.scalar("log-prob sum of prompt " + i, p.get("logprob_sum").asDouble(), got.get(i).sum(), 1e-4);
                Close.scalar("log-prob mean of prompt " + i, p.get("logprob_mean").asDouble(), got.get(i).mean(), 1e-4);
            }
        }
    }

    @Test void greedyTokensMatchReference() {
        JsonNode g = fx.generation();
        Prompt p = fx.prompt(g);
        try (VlmEngine engine = new VlmEngine(model, EngineOptions.defaults())) {
            VlmGenerator gen = new VlmGenerator(engine);
            Generation out = gen.generate(List.of(p), GenerationSettings.greedy(6, Set.of(TinyFixture.IM_END, TinyFixture.ENDOFTEXT))).get(0);
            assertArrayEquals(TinyFixture.ints(g.get("greedy")), out.tokens());
            int eos = g.get("eos_override").asInt();
            Generation stopped = gen.generate(List.of(p), GenerationSettings.greedy(6, Set.of(eos))).get(0);
            assertArrayEquals(TinyFixture.ints(g.get("greedy_eos_override")), stopped.tokens(), "greedy stops at eos");
        }
    }

    @Test void beamSearchMatchesReference() {
        JsonNode g = fx.generation();
        Prompt p = fx.prompt(g);
        try (VlmEngine engine = new VlmEngine(model, EngineOptions.defaults())) {
            VlmGenerator gen = new VlmGenerator(engine);
            Generation out = gen.generate(List.of(p), GenerationSettings.leverPlus(Set.of(TinyFixture.IM_END, TinyFixture.ENDOFTEXT))).get(0);
            assertArrayEquals(TinyFixture.ints(g.get("beam3")), out.tokens());
            Close.scalar("beam score", g.get("beam3_score").asDouble(), out.score(), 1e-4);
            int eos = g.get("eos_override").asInt();
            Generation early = gen.generate(List.of(p), GenerationSettings.leverPlus(Set.of(eos))).get(0);
            assertArrayEquals(TinyFixture.ints(g.get("beam3_eos_override")), early.tokens(), "beam search with an early eos");
            Close.scalar("beam score (eos)", g.get("beam3_eos_override_score").asDouble(), early.score(), 1e-4);
        }
    }
}
