package org.leverplus.vlm.engine;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.leverplus.kernels.Kernels;
import org.leverplus.torch.TensorScope;
import org.leverplus.vlm.model.FlopCounter;
import org.leverplus.vlm.model.KvCache;
import org.leverplus.vlm.model.Tensors;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * Batched teacher-forced answer scoring. Requests are ordered so that prompts sharing a prefix (or, without the
 * prefix cache, of similar length) are neighbours, cut into memory-bounded micro-batches, and each micro-batch's
 * common prefix is computed once. The answer log-probabilities come from the answer_token_logprobs kernel applied
 * to the answer positions' hidden states only: no [T, V] logits are formed.
 */
public final class VlmScorer {
    private final VlmEngine engine;

    public VlmScorer(VlmEngine engine) { this.engine = engine; }

    /** Scores of every request, in request order. */
    public List<AnswerScore> score(List<ScoreRequest> requests) {
        long tokens0 = engine.tokensComputed();
        try {
            return scoreAll(requests);
        } finally {
            engine.countScored(requests.size(), engine.tokensComputed() - tokens0);
        }
    }

    private List<AnswerScore> scoreAll(List<ScoreRequest> requests) {
        AnswerScore[] out = new AnswerScore[requests.size()];
        try (TensorScope outer = TensorScope.open()) {
            List<PreparedPrompt> prepared = new ArrayList<>();
            for (ScoreRequest r : requests) prepared.add(engine.prepare(r.prompt()));
            Integer[] order = order(prepared);
            EngineOptions o = engine.options();
            int i = 0;
            while (i < order.length) {
                // with the prefix cache, a micro-batch is a run of neighbours that share the prefix of its first two
                // members (e.g. system prompt + candidate ICD across beams), so that prefix is computed once
                int group = 0;
                if (o.prefixCache() && i + 1 < order.length) {
                    group = shareable(requests, prepared, order[i], order[i + 1]);
                    if (group < o.minPrefix()) group = 0;
                }
                int j = i, maxLen = 0;
                while (j < order.length && j - i < o.maxBatchSize()) {
                    int len = prepared.get(order[j]).length();
                    if (j > i && (long) Math.max(maxLen, len) * (j - i + 1) > o.maxBatchTokens()) break;
                    if (j > i && group > 0 && shareable(requests, prepared, order[i], order[j]) < group) break;
                    maxLen = Math.max(maxLen, len);
                    j++;
                }
                List<Integer> mb = Arrays.asList(order).subList(i, j);
                scoreMicroBatch(requests, prepared, mb, out);
                i = j;
            }
        }
        return Arrays.asList(out);
    }

    /** Common prefix of two requests that can be shared: it must end before either answer's first predicting position. */
    private static int shareable(List<ScoreRequest> requests, List<PreparedPrompt> prepared, int a, int b) {
        int lcp = PreparedPrompt.commonPrefix(prepared.get(a), prepared.get(b));
        return Math.min(lcp, Math.min(requests.get(a).answerStart(), requests.get(b).answerStart()) - 1);
    }

    /** Lexicographic by content with the prefix cache (prompts sharing prefixes become neighbours), else by length. */
    private Integer[] order(List<PreparedPrompt> prepared) {
        Integer[] idx = new Integer[prepared.size()];
        for (int k = 0; k < idx.length; k++) idx[k] = k;
        if (engine.options().prefixCache())
            Arrays.sort(idx, (a, b) -> Arrays.compare(prepared.get(a).content(), prepared.get(b).content()));
        else
            Arrays.sort(idx, Comparator.comparingInt((Integer k) -> prepared.get(k).length()).reversed());
        return idx;
    }

    private void scoreMicroBatch(List<ScoreRequest> requests, List<PreparedPrompt> prepared, List<Integer> mb, AnswerScore[] out) {
        try (TensorScope s = TensorScope.open()) {
            List<PreparedPrompt> rows = new ArrayList<>();
            int shared = Integer.MAX_VALUE;
            for (int k : mb) {
                rows.add(prepared.get(k));
                engine.embed(prepared.get(k)); // in this micro-batch's scope, before the prefix pass opens its own
                // the hidden state before the first answer token must come out of this pass
                shared = Math.min(shared, requests.get(k).answerStart() - 1);
            }
            for (PreparedPrompt p : rows) shared = Math.min(shared, PreparedPrompt.commonPrefix(rows.get(0), p));
            EngineOptions o = engine.options();
            int from = o.prefixCache() && shared >= o.minPrefix() ? shared : 0;
            KvCache cache = from > 0 ? engine.prefix(rows.get(0), from).expand(rows.size()) : new KvCache(engine.dims().layers());
            VlmEngine.Batch batch = engine.forward(rows, from, cache, o.padLeft());
            long hidden = engine.dims().hidden();
            Tensor flat = batch.hidden().reshape(-1, hidden);
            long lmax = batch.hidden().size(1);
            int total = 0;
            for (int k : mb) total += requests.get(k).answerLength();
            long[] rowIdx = new long[total], target = new long[total];
            int t = 0;
            for (int r = 0; r < mb.size(); r++) {
                ScoreRequest q = requests.get(mb.get(r));
                int[] ids = q.prompt().ids();
                for (int j = q.answerStart(); j < q.answerEnd(); j++, t++) {
                    rowIdx[t] = r * lmax + batch.col(r, j - 1);
                    target[t] = ids[j];
                }
            }
            double[] lp = tokenLogprobs(engine, flat, rowIdx, target);
            t = 0;
            for (int r = 0; r < mb.size(); r++) {
                ScoreRequest q = requests.get(mb.get(r));
                out[mb.get(r)] = AnswerScore.of(Arrays.copyOfRange(lp, t, t + q.answerLength()));
                t += q.answerLength();
            }
            for (PreparedPrompt p : rows) p.release();
        }
    }

    /**
     * log p(target[i] | hidden row rowIdx[i]) of {@code flat} [N, hidden] (final-normed): the answer_token_logprobs
     * kernel on the selected rows, or full-vocabulary logits when the engine is asked for the original's way.
     */
    static double[] tokenLogprobs(VlmEngine engine, Tensor flat, long[] rowIdx, long[] target) {
        int total = target.length;
        Tensor targets = Tensors.longs(target, null, total);
        if (engine.options().fullVocabLogits()) return fullVocab(engine, flat, rowIdx, targets);
        Tensor h = Tensors.as(flat.index_select(0, Tensors.longs(rowIdx, flat.device(), total)), ScalarType.Float);
        Tensor w = engine.model().text().lmHeadWeight();
        FlopCounter.add(2L * total * w.size(0) * w.size(1));
        return toDoubles(Kernels.answerTokenLogprobs(h.contiguous(), w, targets.to(h.device(), ScalarType.Long)));
    }

    /** The original's way: logits over the full vocabulary at every position, log_softmax, then gather. */
    private static double[] fullVocab(VlmEngine engine, Tensor flat, long[] rowIdx, Tensor targets) {
        Tensor logp = torch.log_softmax(engine.model().text().logits(flat), 1);
        Tensor rows = logp.index_select(0, Tensors.longs(rowIdx, logp.device(), rowIdx.length));
        return toDoubles(rows.gather(1, targets.to(rows.device(), ScalarType.Long).unsqueeze(1)).squeeze(1));
    }

    private static double[] toDoubles(Tensor t) {
        float[] f = Tensors.toFloats(t);
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    /**
     * InfoScore of each candidate: {@code P(y | [c] + S, x) - P(y | S, x)} with P = exp(mean answer log-prob).
     * {@code withCandidate.get(i)} is the prompt with candidate i added; {@code baseline} is the prompt without it.
     */
    public double[] infoScores(List<ScoreRequest> withCandidate, ScoreRequest baseline) {
        List<ScoreRequest> all = new ArrayList<>(withCandidate);
        all.add(baseline);
        List<AnswerScore> s = score(all);
        double base = s.get(s.size() - 1).probability();
        double[] out = new double[withCandidate.size()];
        for (int i = 0; i < out.length; i++) out[i] = s.get(i).probability() - base;
        return out;
    }

    /**
     * Lever-Plus' {@code vqa_gt_prob}: {@code sum over distinct answers a of p(a) * min(count(a) / 3, 1)}, where
     * {@code perAnswer.get(i)} teacher-forces distinct answer i and {@code counts[i]} is how many annotators gave it.
     */
    public double vqaGtProb(List<ScoreRequest> perAnswer, int[] counts) {
        if (perAnswer.size() != counts.length)
            throw new IllegalArgumentException("vqaGtProb: " + perAnswer.size() + " answers but " + counts.length + " counts");
        List<AnswerScore> s = score(perAnswer);
        double sum = 0;
        for (int i = 0; i < counts.length; i++) sum += s.get(i).probability() * Math.min(counts[i] / 3.0, 1.0);
        return sum;
    }
}
