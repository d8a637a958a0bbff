package org.leverplus.vlm.engine;

import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.leverplus.vlm.model.ModelOptions;
import org.leverplus.vlm.model.Qwen25VlModel;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Engine invariants on the tiny fixture: every cache, batching and padding choice gives the same scores (float32:
 * 1e-5 relative), bf16 stays within bf16 tolerance, and both checkpoint key layouts load the same model.
 */
class EngineInvariantsTest {
    static TinyFixture fx;
    static Qwen25VlModel model;
    static List<ScoreRequest> requests;

    @BeforeAll static void load() {
        fx = new TinyFixture();
        model = TinyFixture.load("snapshot-legacy", ModelOptions.defaults());
        requests = infoScoreLikeRequests();
    }

    @AfterAll static void close() {
        model.close();
        fx.close();
    }

    /** A beam-search-like workload: a shared system prompt, a candidate demo, a chosen demo, the query and its answer. */
    static List<ScoreRequest> infoScoreLikeRequests() {
        Random rnd = new Random(7);
        int[] system = {2001, 11, 12, 13, 14, 15, 2002, 198, 2001, 16, 198};
        int[] answer = {700, 701};
        List<ScoreRequest> out = new ArrayList<>();
        String[] cands = {"A", "B", "C", "B", "A"};
        for (int c = 0; c < cands.length; c++) {
            List<Integer> ids = new ArrayList<>();
            for (int t : system) ids.add(t);
            List<ImageInput> ims = new ArrayList<>();
            for (String im : new String[]{cands[c], "C", "B"}) {
                ims.add(fx.appendImage(ids, im));
                TinyFixture.appendRandomText(ids, rnd);
            }
            int start = ids.size();
            for (int a : answer) ids.add(a);
            ids.add(2002);
            out.add(new ScoreRequest(new Prompt(ids.stream().mapToInt(Integer::intValue).toArray(), ims), start, start + answer.length));
        }
        for (int i = 0; i < fx.prompts(); i++) out.add(fx.scoreRequest(i));
        // second beam step: each candidate (A, C) behind the system prompt, with a different chosen demo per beam
        int[][] q = {{31, 32, 33}, {41, 42}};
        for (String c : new String[]{"A", "C"})
            for (int beam = 0; beam < 2; beam++) {
                List<Integer> ids = new ArrayList<>();
                for (int t : system) ids.add(t);
                List<ImageInput> ims = new ArrayList<>();
                for (String im : new String[]{c, beam == 0 ? "B" : "C", "B"}) {
                    ims.add(fx.appendImage(ids, im));
                    for (int t : q[beam]) ids.add(t);
                }
                int start = ids.size();
                for (int a : answer) ids.add(a);
                out.add(new ScoreRequest(new Prompt(ids.stream().mapToInt(Integer::intValue).toArray(), ims), start, start + answer.length));
            }
        return out;
    }

    static List<AnswerScore> score(Qwen25VlModel m, EngineOptions o, List<ScoreRequest> reqs) {
        try (VlmEngine e = new VlmEngine(m, o)) {
            return new VlmScorer(e).score(reqs);
        }
    }

    static void assertSame(String what, List<AnswerScore> a, List<AnswerScore> b, double rel) {
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            double[] x = a.get(i).tokenLogprobs(), y = b.get(i).tokenLogprobs();
            assertEquals(x.length, y.length);
            for (int k = 0; k < x.length; k++) Close.scalar(what + " request " + i + " token " + k, x[k], y[k], rel);
        }
    }

    @Test void cachesOnAndOffAgree() {
        List<AnswerScore> off = score(model, EngineOptions.uncached(), requests);
        assertSame("image cache", off, score(model, EngineOptions.uncached().withImageCache(true), requests), 1e-5);
        assertSame("prefix cache", off, score(model, EngineOptions.uncached().withPrefixCache(true), requests), 1e-5);
        assertSame("all caches", off, score(model, EngineOptions.defaults(), requests), 1e-5);
        assertSame("full-vocabulary logits", off, score(model, EngineOptions.uncached().withFullVocabLogits(true), requests), 1e-5);
    }

    @Test void batchedEqualsOneByOne() {
        List<AnswerScore> batched = score(model, EngineOptions.defaults(), requests);
        List<AnswerScore> single = new ArrayList<>();
        for (ScoreRequest r : requests) single.addAll(score(model, EngineOptions.uncached(), List.of(r)));
        assertSame("batch vs single", single, batched, 1e-5);
        // memory-bounded micro-batches of 2 rows / 300 tokens
        assertSame("micro-batches", batched, score(model, EngineOptions.defaults().withBatch(300, 2), requests), 1e-5);
    }

    @Test void leftAndRightPaddingAgree() {
        assertSame("padding", score(model, EngineOptions.uncached(), requests),
                score(model, EngineOptions.uncached().withPadLeft(true), requests), 1e-5);
        assertSame("padding with prefix", score(model, EngineOptions.defaults(), requests),
                score(model, EngineOptions.defaults().withPadLeft(true), requests), 1e-5);
    }

    @Test void cachesAreUsed() {
        try (VlmEngine e = new VlmEngine(model, EngineOptions.defaults())) {
            new VlmScorer(e).score(requests.subList(0, 5));
            assertEquals(3, e.visionCalls(), "each distinct image through the vision tower once");
            long misses = e.prefixMisses();
            // candidates A, B, C, B, A: sorted A A | C B B -> system prompt + image A, then the system prompt
            assertEquals(2, misses, "one prefix per micro-batch group");
            new VlmScorer(e).score(requests.subList(0, 5));
            assertEquals(3, e.visionCalls());
            assertEquals(misses, e.prefixMisses(), "the second call computes no prefix");
            assertEquals(misses, e.prefixHits(), "the second call reuses the remembered prefixes");
        }
        try (VlmEngine e = new VlmEngine(model, EngineOptions.uncached())) {
            new VlmScorer(e).score(requests.subList(0, 5));
            assertEquals(15, e.visionCalls(), "without the cache every prompt encodes its 3 images");
        }
    }

    @Test void beamsShareTheCandidatePrefix() {
        List<ScoreRequest> beams = requests.subList(requests.size() - 4, requests.size());
        try (VlmEngine e = new VlmEngine(model, EngineOptions.defaults())) {
            assertSame("beam prefixes", score(model, EngineOptions.uncached(), beams), new VlmScorer(e).score(beams), 1e-5);
            // one micro-batch per candidate, each sharing system prompt + candidate image + the demo's vision-start
            assertEquals(2, e.prefixMisses());
        }
    }

    @Test void imageCacheEvictsLeastRecentlyUsed() {
        // one embedding of image A is 12 x 32 floats = 1536 bytes; a 2000-byte cache holds one image
        EngineOptions tiny = new EngineOptions(true, 2000, false, 1, 8, false, 16384, 64, false);
        List<AnswerScore> ref = score(model, EngineOptions.uncached(), requests);
        try (VlmEngine e = new VlmEngine(model, tiny)) {
            assertSame("small image cache", ref, new VlmScorer(e).score(requests), 1e-5);
            assertTrue(e.imageCache().bytes() <= 2000, "cache stays within its bound: " + e.imageCache().bytes());
        }
    }

    @Test void configOfBothLayoutsGivesTheFixtureSizes() throws Exception {
        for (String layout : List.of("snapshot-legacy", "snapshot-new"))
            assertEquals(TinyFixture.dims(), org.leverplus.vlm.model.ModelDims.of(
                    org.leverplus.vlm.Qwen25VlSnapshot.open(TinyFixture.DIR.resolve(layout)).config()), layout);
    }

    @Test void bothKeyLayoutsLoadTheSameModel() {
        try (Qwen25VlModel nested = TinyFixture.load("snapshot-new", ModelOptions.defaults())) {
            assertSame("key layouts", score(model, EngineOptions.defaults(), requests), score(nested, EngineOptions.defaults(), requests), 0);
        }
    }

    @Test void bfloat16StaysWithinTolerance() {
        try (Qwen25VlModel bf16 = TinyFixture.load("snapshot-legacy", ModelOptions.defaults().withDtype(ScalarType.BFloat16))) {
            List<AnswerScore> a = score(model, EngineOptions.defaults(), requests), b = score(bf16, EngineOptions.defaults(), requests);
            for (int i = 0; i < a.size(); i++) {
                // bf16 has 8 mantissa bits; through 2 vision + 2 text layers the log-probs (|lp| ~ 20) move by ~1%
                Close.scalar("bf16 mean log-prob " + i, a.get(i).mean(), b.get(i).mean(), 0.05);
            }
        }
    }

    @Test void batchedGenerationEqualsSingle() {
        List<Prompt> prompts = new ArrayList<>();
        prompts.add(fx.prompt(fx.generation()));
        for (int i = 0; i < 2; i++) {
            ScoreRequest r = fx.scoreRequest(i);
            prompts.add(new Prompt(java.util.Arrays.copyOf(r.prompt().ids(), r.answerStart()), r.prompt().images()));
        }
        Set<Integer> eos = Set.of(TinyFixture.IM_END, TinyFixture.ENDOFTEXT);
        try (VlmEngine e = new VlmEngine(model, EngineOptions.defaults())) {
            VlmGenerator g = new VlmGenerator(e);
            for (GenerationSettings s : List.of(GenerationSettings.greedy(5, eos), GenerationSettings.leverPlus(eos))) {
                List<Generation> batched = g.generate(prompts, s);
                try (VlmEngine plain = new VlmEngine(model, EngineOptions.uncached().withBatch(16384, 3))) { // one prompt per beam batch
                    List<Generation> noCache = new VlmGenerator(plain).generate(prompts, s);
                    for (int i = 0; i < prompts.size(); i++) {
                        assertArrayEquals(noCache.get(i).tokens(), batched.get(i).tokens(), "prefix-shared prefill, prompt " + i);
                        Close.scalar("prefix-shared score", noCache.get(i).score(), batched.get(i).score(), 1e-5);
                    }
                }
                for (int i = 0; i < prompts.size(); i++) {
                    Generation one = g.generate(List.of(prompts.get(i)), s).get(0);
                    assertArrayEquals(one.tokens(), batched.get(i).tokens(), s + " prompt " + i);
                    Close.scalar("sequence score", one.score(), batched.get(i).score(), 1e-5);
                }
            }
        }
    }

    @Test void infoScoreAndGtProbFollowTheirDefinitions() {
        List<AnswerScore> s = score(model, EngineOptions.uncached(), requests.subList(0, 5));
        try (VlmEngine e = new VlmEngine(model, EngineOptions.defaults())) {
            VlmScorer scorer = new VlmScorer(e);
            double[] info = scorer.infoScores(requests.subList(0, 4), requests.get(4));
            for (int i = 0; i < 4; i++)
                Close.scalar("InfoScore " + i, Math.exp(s.get(i).mean()) - Math.exp(s.get(4).mean()), info[i], 1e-5);
            double gt = scorer.vqaGtProb(requests.subList(0, 3), new int[]{5, 2, 1});
            double expected = Math.exp(s.get(0).mean()) + Math.exp(s.get(1).mean()) * 2 / 3 + Math.exp(s.get(2).mean()) / 3;
            Close.scalar("vqa_gt_prob", expected, gt, 1e-5);
        }
    }
}
