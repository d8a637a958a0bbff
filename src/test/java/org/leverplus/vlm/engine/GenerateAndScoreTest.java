package org.leverplus.vlm.engine;

import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.leverplus.vlm.model.ModelOptions;
import org.leverplus.vlm.model.Qwen25VlModel;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/**
 * {@link VlmGenerator#generateAndScore}: the generations are those of {@link VlmGenerator#generate}, and every
 * continuation's score is that of the full teacher-forced prompt (prompt[0, keep) + answer + end token) computed from
 * scratch by {@link VlmScorer} without caches, for every cache, batch and padding choice: answers of 1-4 tokens, keep
 * points at different distances from the prompt's end (several cut groups), identical prompts (the prefill's shared
 * prefix must stop before keep), greedy and beam search, batches split across generation batches and row groups.
 */
class GenerateAndScoreTest {
    static TinyFixture fx;
    static Qwen25VlModel model;
    static final int[] SUFFIX = {2002, 198, 2001, 77, 198};        // "<|im_end|>\n<|im_start|>assistant\n"-like

    @BeforeAll static void load() {
        fx = new TinyFixture();
        model = TinyFixture.load("snapshot-legacy", ModelOptions.defaults());
    }

    @AfterAll static void close() {
        model.close();
        fx.close();
    }

    record Case(Prompt prompt, List<VlmGenerator.Continuation> conts) {}

    static List<Case> cases() {
        Random rnd = new Random(11);
        int[] system = {2001, 11, 12, 13, 14, 15, 2002, 198, 2001, 16, 198};
        String[][] images = {{"A", "C", "B"}, {"A", "B", "C"}, {"C", "B"}, {"A", "C", "B"}, {"B"}, {"A", "C", "B"}};
        List<Case> out = new ArrayList<>();
        for (int c = 0; c < images.length; c++) {
            List<Integer> ids = new ArrayList<>();
            for (int t : system) ids.add(t);
            List<ImageInput> ims = new ArrayList<>();
            for (String im : images[c]) {
                ims.add(fx.appendImage(ids, im));
                TinyFixture.appendRandomText(ids, rnd);
            }
            int keep = ids.size();
            for (int t : SUFFIX) ids.add(t);
            int[] prompt = ids.stream().mapToInt(Integer::intValue).toArray();
            List<VlmGenerator.Continuation> conts = new ArrayList<>();
            if (c != 2) { // one prompt without continuations
                int answers = 1 + rnd.nextInt(4);
                for (int a = 0; a < answers; a++) {
                    int[] ans = new int[1 + rnd.nextInt(4)];
                    for (int k = 0; k < ans.length; k++) ans[k] = 20 + rnd.nextInt(1900);
                    conts.add(new VlmGenerator.Continuation(keep, ans));
                }
                // a second keep point two tokens further back: another cut column
                conts.add(new VlmGenerator.Continuation(keep - 2, new int[]{700, 701}));
            }
            out.add(new Case(new Prompt(prompt, ims), conts));
        }
        out.add(out.get(0)); // an identical prompt: the shared prefix must end before keep
        return out;
    }

    /** The continuation as a full teacher-forced request. */
    static ScoreRequest request(Prompt p, VlmGenerator.Continuation c) {
        int[] ids = Arrays.copyOf(p.ids(), c.keep() + c.answer().length + 1);
        System.arraycopy(c.answer(), 0, ids, c.keep(), c.answer().length);
        ids[ids.length - 1] = 2002;
        return new ScoreRequest(new Prompt(ids, p.images()), c.keep(), c.keep() + c.answer().length);
    }

    static void check(EngineOptions o, GenerationSettings s, List<Case> cases) {
        List<Prompt> prompts = new ArrayList<>();
        List<List<VlmGenerator.Continuation>> conts = new ArrayList<>();
        List<ScoreRequest> reqs = new ArrayList<>();
        for (Case c : cases) {
            prompts.add(c.prompt());
            conts.add(c.conts());
            for (VlmGenerator.Continuation x : c.conts()) reqs.add(request(c.prompt(), x));
        }
        List<AnswerScore> reference;
        List<Generation> plain;
        try (VlmEngine e = new VlmEngine(model, EngineOptions.uncached())) {
            reference = new VlmScorer(e).score(reqs);
            plain = new VlmGenerator(e).generate(prompts, s);
        }
        try (VlmEngine e = new VlmEngine(model, o)) {
            List<VlmGenerator.Scored> got = new VlmGenerator(e).generateAndScore(prompts, s, conts);
            assertEquals(prompts.size(), got.size());
            int r = 0;
            for (int i = 0; i < got.size(); i++) {
                assertArrayEquals(plain.get(i).tokens(), got.get(i).generation().tokens(), "prompt " + i + " generation");
                Close.scalar("prompt " + i + " generation score", plain.get(i).score(), got.get(i).generation().score(), 1e-5);
                assertEquals(conts.get(i).size(), got.get(i).scores().size());
                for (int k = 0; k < conts.get(i).size(); k++, r++) {
                    double[] x = reference.get(r).tokenLogprobs(), y = got.get(i).scores().get(k).tokenLogprobs();
                    assertEquals(x.length, y.length);
                    for (int t = 0; t < x.length; t++) Close.scalar(o + " prompt " + i + " answer " + k + " token " + t, x[t], y[t], 1e-5);
                }
            }
            long answers = reqs.size();
            assertEquals(answers, e.scoredPrompts(), "every continuation counted as a scored prompt");
        }
    }

    @Test void beamSearchWithEveryEngineChoice() {
        GenerationSettings s = GenerationSettings.leverPlus(Set.of(TinyFixture.IM_END, TinyFixture.ENDOFTEXT));
        List<Case> cases = cases();
        check(EngineOptions.defaults(), s, cases);
        check(EngineOptions.defaults().withImageCache(false), s, cases);
        check(EngineOptions.uncached().withPadLeft(true), s, cases);
        check(EngineOptions.defaults().withFullVocabLogits(true), s, cases);
        // 2 prompts per generation batch (6 rows / 3 beams) and continuation groups of at most 6 rows
        check(EngineOptions.defaults().withBatch(16384, 6), s, cases);
        check(EngineOptions.defaults().withBatch(16384, 3), s, cases);
    }

    @Test void greedy() {
        check(EngineOptions.defaults(), GenerationSettings.greedy(4, Set.of(TinyFixture.IM_END)), cases());
    }

    @Test void continuationsMustKeepPartOfThePrompt() {
        List<Case> cases = cases();
        Prompt p = cases.get(0).prompt();
        try (VlmEngine e = new VlmEngine(model, EngineOptions.defaults())) {
            VlmGenerator g = new VlmGenerator(e);
            GenerationSettings s = GenerationSettings.greedy(2, Set.of(TinyFixture.IM_END));
            assertThrows(IllegalArgumentException.class,
                    () -> g.generateAndScore(List.of(p), s, List.of(List.of(new VlmGenerator.Continuation(p.length(), new int[]{5})))));
            assertThrows(IllegalArgumentException.class, () -> g.generateAndScore(List.of(p), s, List.of()));
            assertThrows(IllegalArgumentException.class, () -> new VlmGenerator.Continuation(0, new int[]{5}));
            assertThrows(IllegalArgumentException.class, () -> new VlmGenerator.Continuation(3, new int[0]));
        }
    }
}
