package org.leverplus.vlm.engine;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.leverplus.torch.TensorScope;
import org.leverplus.vlm.model.KvCache;
import org.leverplus.vlm.model.Tensors;

import org.bytedeco.pytorch.Device;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

/**
 * Batched greedy and beam-search decoding with a KV cache. The prompts are prefilled as one left-padded batch; each
 * step feeds one token per row at M-RoPE position (prompt max position + 1 + step) on all three axes, as HF does via
 * rope_deltas. Beam search follows HF's BeamSearchScorer with length_penalty 0 and early_stopping false: per step the
 * 2*numBeams best (beam, token) continuations are taken in score order, an eos among the first numBeams of them closes
 * a hypothesis, the rest refill the beams, and a prompt is done once it holds numBeams hypotheses none of which the
 * best continuation can beat.
 */
public final class VlmGenerator {
    private final VlmEngine engine;

    public VlmGenerator(VlmEngine engine) { this.engine = engine; }

    /** Generations in prompt order; prompts run in batches of at most maxBatchSize rows (prompts x beams). */
    public List<Generation> generate(List<Prompt> prompts, GenerationSettings s) {
        List<Generation> out = new ArrayList<>();
        for (Scored g : generateAndScore(prompts, s, null)) out.add(g.generation());
        return out;
    }

    /**
     * A teacher-forced answer to score on a generation prompt's own KV cache: the prompt's tokens [0, keep) followed by
     * {@code answer}, e.g. Lever-Plus' {@code vqa_gt_prob} prompt, which is the generation prompt cut after the query
     * text with a human answer appended. The score equals that of {@code ScoreRequest(prompt[0, keep) + answer, keep,
     * keep + answer.length)} (up to float rounding) without computing the prompt again.
     */
    public record Continuation(int keep, int[] answer) {
        public Continuation {
            if (keep < 1) throw new IllegalArgumentException("keep must be >= 1 but is " + keep);
            if (answer == null || answer.length == 0) throw new IllegalArgumentException("a continuation needs at least one answer token");
            answer = answer.clone();
        }

        @Override public int[] answer() { return answer.clone(); }
    }

    /** A prompt's generation and the scores of its continuations, in their order. */
    public record Scored(Generation generation, List<AnswerScore> scores) {}

    /**
     * Generations as {@link #generate}, plus the scores of each prompt's continuations (null or empty lists: none),
     * computed right after each batch's prefill on top of its KV cache (cut back to each continuation's keep point):
     * only the answer tokens go through the decoder again.
     */
    public List<Scored> generateAndScore(List<Prompt> prompts, GenerationSettings s, List<List<Continuation>> continuations) {
        if (continuations != null && continuations.size() != prompts.size())
            throw new IllegalArgumentException(prompts.size() + " prompts but " + continuations.size() + " continuation lists");
        int per = Math.max(1, engine.options().maxBatchSize() / s.numBeams());
        engine.countGenerated(prompts.size());
        List<Scored> out = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i += per) {
            int end = Math.min(prompts.size(), i + per);
            List<Prompt> part = prompts.subList(i, end);
            List<List<Continuation>> conts = new ArrayList<>();
            for (int k = i; k < end; k++) {
                List<Continuation> c = continuations == null ? null : continuations.get(k);
                if (c != null) for (Continuation x : c)
                    if (x.keep() >= prompts.get(k).length())
                        throw new IllegalArgumentException("prompt " + k + ": continuation keeps " + x.keep() + " tokens of a " + prompts.get(k).length() + "-token prompt");
                conts.add(c == null ? List.of() : c);
            }
            List<List<AnswerScore>> scores = new ArrayList<>();
            List<Generation> gens = s.numBeams() == 1 ? greedy(part, s, conts, scores) : beam(part, s, conts, scores);
            for (int k = 0; k < gens.size(); k++) out.add(new Scored(gens.get(k), scores.get(k)));
        }
        return out;
    }

    private List<Generation> greedy(List<Prompt> prompts, GenerationSettings s, List<List<Continuation>> conts, List<List<AnswerScore>> scores) {
        int b = prompts.size();
        List<List<Integer>> out = new ArrayList<>();
        double[] score = new double[b];
        boolean[] done = new boolean[b];
        for (int i = 0; i < b; i++) out.add(new ArrayList<>());
        try (TensorScope scope = TensorScope.open()) {
            List<PreparedPrompt> rows = new ArrayList<>();
            for (Prompt p : prompts) {
                PreparedPrompt pp = engine.prepare(p);
                engine.embed(pp); // in this scope, before the prefix pass opens its own
                rows.add(pp);
            }
            long[] next = new long[b];
            for (int i = 0; i < b; i++) next[i] = rows.get(i).nextPosition();
            KvCache[] prefilled = new KvCache[1];
            VlmEngine.Batch batch = prefill(rows, prefilled, keepCap(conts));
            scores.addAll(scoreContinuations(rows, batch, prefilled[0], conts));
            // the cache and the last hidden state are the only tensors that live from one step to the next
            KvCache cache = prefilled[0].retain();
            Tensor last = Tensors.retain(batch.hidden().select(1, batch.hidden().size(1) - 1));
            try {
                for (int step = 0; step < s.maxNewTokens(); step++) {
                    try (TensorScope stepScope = TensorScope.open()) {
                        Tensor logp = torch.log_softmax(engine.model().text().logits(last), 1);
                        long[] tok = Tensors.toLongs(logp.argmax(new org.bytedeco.pytorch.LongOptional(1), false));
                        float[] lp = Tensors.toFloats(logp.gather(1, Tensors.longs(tok, logp.device(), b, 1)).squeeze(1));
                        boolean all = true;
                        for (int i = 0; i < b; i++) {
                            if (done[i]) continue;
                            out.get(i).add((int) tok[i]);
                            score[i] += lp[i];
                            if (s.eosIds().contains((int) tok[i])) done[i] = true;
                            all &= done[i];
                        }
                        if (all || step + 1 == s.maxNewTokens()) break;
                        last = advance(last, decodeStep(tok, next, step, cache));
                    }
                }
            } finally {
                cache.close();
                last.close();
            }
        }
        List<Generation> res = new ArrayList<>();
        for (int i = 0; i < b; i++) res.add(new Generation(out.get(i).stream().mapToInt(Integer::intValue).toArray(), score[i]));
        return res;
    }

    /**
     * Prefills the prompts as one left-padded batch. With the prefix cache, their common prefix (e.g. system prompt +
     * first ICD of RL candidate pairs) is computed once and its KV cache expanded; at least one token per prompt is
     * left for the batch so every row yields its last hidden state.
     */
    private VlmEngine.Batch prefill(List<PreparedPrompt> rows, KvCache[] cacheOut, int cap) {
        EngineOptions o = engine.options();
        int shared = cap; // continuations need the hidden state at keep - 1 out of this batch
        for (PreparedPrompt p : rows) shared = Math.min(shared, Math.min(p.length() - 1, PreparedPrompt.commonPrefix(rows.get(0), p)));
        int from = o.prefixCache() && shared >= o.minPrefix() ? shared : 0;
        KvCache cache = from > 0 ? engine.prefix(rows.get(0), from).expand(rows.size()) : new KvCache(engine.dims().layers());
        cacheOut[0] = cache;
        return engine.forward(rows, from, cache, true);
    }

    /** The shared prefix may not reach past any continuation's keep - 1. */
    private static int keepCap(List<List<Continuation>> conts) {
        int cap = Integer.MAX_VALUE;
        for (List<Continuation> c : conts) for (Continuation x : c) cap = Math.min(cap, x.keep() - 1);
        return cap;
    }

    /**
     * Scores every continuation on the freshly prefilled batch: the first answer token from the prompt's hidden state
     * at keep - 1, the others by running answer[0, n-1) on a copy of the prompt's cache cut after column keep - 1.
     * Continuations are taken in groups of equal cut column (left padding makes the cut the same for every prompt
     * when the tokens after keep are the same, as for the generation prompt's closing template) of at most
     * maxBatchSize rows; each group runs in its own scope, so its cache copy is freed before the next.
     */
    private List<List<AnswerScore>> scoreContinuations(List<PreparedPrompt> rows, VlmEngine.Batch batch, KvCache cache, List<List<Continuation>> conts) {
        List<List<AnswerScore>> out = new ArrayList<>();
        java.util.TreeMap<Integer, List<int[]>> byCut = new java.util.TreeMap<>(); // cut column -> (row, index)
        for (int r = 0; r < rows.size(); r++) {
            List<Continuation> c = conts.get(r);
            out.add(new ArrayList<>(java.util.Collections.nCopies(c.size(), (AnswerScore) null)));
            for (int k = 0; k < c.size(); k++) {
                int cut = batch.from() + batch.col(r, c.get(k).keep() - 1) + 1;
                byCut.computeIfAbsent(cut, x -> new ArrayList<>()).add(new int[]{r, k});
            }
        }
        if (byCut.isEmpty()) return out;
        long hidden = engine.dims().hidden(), lmax = batch.hidden().size(1);
        Tensor flat = batch.hidden().reshape(-1, hidden);
        int max = Math.max(1, engine.options().maxBatchSize());
        for (Map.Entry<Integer, List<int[]>> e : byCut.entrySet()) {
            List<int[]> all = e.getValue();
            for (int g0 = 0; g0 < all.size(); g0 += max) {
                List<int[]> group = all.subList(g0, Math.min(all.size(), g0 + max));
                try (TensorScope gs = TensorScope.open()) {
                    scoreGroup(rows, batch, cache, conts, e.getKey(), group, flat, lmax, out);
                }
            }
        }
        return out;
    }

    private void scoreGroup(List<PreparedPrompt> rows, VlmEngine.Batch batch, KvCache cache, List<List<Continuation>> conts, int cut,
                            List<int[]> group, Tensor flat, long lmax, List<List<AnswerScore>> out) {
        int n = group.size(), width = 0, total = 0;
        for (int[] g : group) {
            int len = conts.get(g[0]).get(g[1]).answer.length;
            width = Math.max(width, len - 1);
            total += len;
        }
        Device dev = engine.model().options().torchDevice();
        long rest = 0;
        Tensor fed = null;
        if (width > 0) {
            long[] src = new long[n], ids = new long[n * width], pos = new long[3 * n * width], valid = new long[n * width];
            Arrays.fill(pos, 1);
            for (int i = 0; i < n; i++) {
                int r = group.get(i)[0];
                Continuation c = conts.get(r).get(group.get(i)[1]);
                src[i] = r;
                long[][] mp = rows.get(r).positions().positions();
                for (int j = 0; j < c.answer.length - 1; j++) {
                    int col = i * width + j;
                    ids[col] = c.answer[j];
                    // text after text: every axis one past the previous token's
                    for (int a = 0; a < 3; a++) pos[a * n * width + col] = mp[a][c.keep() - 1] + 1 + j;
                    valid[col] = 1;
                    rest++;
                }
            }
            KvCache cut0 = cache.select(Tensors.longs(src, dev, n), cut);
            Tensor embeds = engine.model().text().embed(Tensors.longs(ids, dev, n, width));
            fed = engine.model().text().forward(embeds, Tensors.longs(pos, dev, 3, n, width),
                    Tensors.longs(valid, dev, n, width).to(ScalarType.Bool), cut0).reshape(-1, flat.size(1));
        }
        // hidden rows: the prefill's [B * lmax] rows first, then the fed answer tokens' [n * width] rows
        Tensor rowsT = fed == null ? flat : Tensors.cat(0, flat, fed);
        long[] rowIdx = new long[total], target = new long[total];
        int t = 0;
        for (int i = 0; i < n; i++) {
            int r = group.get(i)[0];
            Continuation c = conts.get(r).get(group.get(i)[1]);
            rowIdx[t] = r * lmax + batch.col(r, c.keep() - 1);
            target[t++] = c.answer[0];
            for (int j = 1; j < c.answer.length; j++) {
                rowIdx[t] = flat.size(0) + (long) i * width + (j - 1);
                target[t++] = c.answer[j];
            }
        }
        double[] lp = VlmScorer.tokenLogprobs(engine, rowsT, rowIdx, target);
        t = 0;
        for (int i = 0; i < n; i++) {
            int[] g = group.get(i);
            int len = conts.get(g[0]).get(g[1]).answer.length;
            out.get(g[0]).set(g[1], AnswerScore.of(Arrays.copyOfRange(lp, t, t + len)));
            t += len;
        }
        engine.countContinuations(n, rest);
    }

    /** Feeds one token per row; returns the new last hidden states [rows, hidden]. */
    private Tensor decodeStep(long[] tokens, long[] nextPos, int step, KvCache cache) {
        int rows = tokens.length;
        engine.countDecoded(rows);
        long[] pos = new long[3 * rows];
        for (int a = 0; a < 3; a++)
            for (int r = 0; r < rows; r++) pos[a * rows + r] = nextPos[r] + step;
        Tensor ids = Tensors.longs(tokens, engine.model().options().torchDevice(), rows, 1);
        Tensor embeds = engine.model().text().embed(ids);
        Tensor positions = Tensors.longs(pos, engine.model().options().torchDevice(), 3, rows, 1);
        Tensor valid = torch.ones(new long[]{rows, 1}, new org.bytedeco.pytorch.TensorOptions(ScalarType.Bool)
                .device(new org.bytedeco.pytorch.DeviceOptional(engine.model().options().torchDevice())));
        return engine.model().text().forward(embeds, positions, valid, cache).select(1, 0);
    }

    private List<Generation> beam(List<Prompt> prompts, GenerationSettings s, List<List<Continuation>> conts, List<List<AnswerScore>> scores) {
        int b = prompts.size(), nb = s.numBeams();
        List<BeamHypotheses> hyps = new ArrayList<>();
        for (int i = 0; i < b; i++) hyps.add(new BeamHypotheses(nb));
        try (TensorScope scope = TensorScope.open()) {
            List<PreparedPrompt> rows = new ArrayList<>();
            for (Prompt p : prompts) {
                PreparedPrompt pp = engine.prepare(p);
                engine.embed(pp); // in this scope, before the prefix pass opens its own
                rows.add(pp);
            }
            KvCache[] prefilled = new KvCache[1];
            VlmEngine.Batch batch = prefill(rows, prefilled, keepCap(conts));
            scores.addAll(scoreContinuations(rows, batch, prefilled[0], conts));
            KvCache cache = prefilled[0].retain();
            Tensor last = Tensors.retain(batch.hidden().select(1, batch.hidden().size(1) - 1)); // [b, hidden]
            // running beams: row r = prompt r / nb, beam r % nb
            long[] nextPos = new long[b * nb];
            for (int r = 0; r < b * nb; r++) nextPos[r] = rows.get(r / nb).nextPosition();
            double[] beamScore = new double[b * nb];
            int[][] beamTokens = new int[b * nb][0];
            boolean[] done = new boolean[b];
            try {
                for (int step = 0; step < s.maxNewTokens(); step++) {
                    // one scope per step: its log-probs, top-k and the reordered cache's old copy are freed here,
                    // so memory stays flat in the number of generated tokens
                    try (TensorScope stepScope = TensorScope.open()) {
                        Tensor logp = torch.log_softmax(engine.model().text().logits(last), 1); // [rowsNow, V]
                        long v = logp.size(1);
                        int live = step == 0 ? 1 : nb; // HF starts with one live beam per prompt (the others at -1e9)
                        Tensor total = logp.to(ScalarType.Double);
                        if (step > 0) total = total.add(Tensors.floats(toFloat(beamScore), total.device(), b * nb, 1).to(ScalarType.Double));
                        Tensor perPrompt = total.reshape(b, live * v);
                        var top = perPrompt.topk(2L * nb, 1, true, true);
                        // get0()/get1() are references into the tuple: own copies, so nothing dangles if the GC
                        // releases the tuple while they are read
                        Tensor topValues = new Tensor(top.get0()), topIndices = new Tensor(top.get1());
                        double[] topScore = toDoubleArray(topValues);
                        long[] topIdx = Tensors.toLongs(topIndices);
                        long[] srcRow = new long[b * nb], tok = new long[b * nb];
                        double[] newScore = new double[b * nb];
                        int[][] newTokens = new int[b * nb][];
                        for (int p = 0; p < b; p++) {
                            int filled = 0;
                            BeamHypotheses h = hyps.get(p);
                            for (int c = 0; c < 2 * nb && !done[p] && filled < nb; c++) {
                                double sc = topScore[p * 2 * nb + c];
                                long flat = topIdx[p * 2 * nb + c];
                                int beamIdx = (int) (flat / v), token = (int) (flat % v);
                                int src = step == 0 ? p : p * nb + beamIdx;
                                int[] prev = step == 0 ? new int[0] : beamTokens[src];
                                int[] seq = java.util.Arrays.copyOf(prev, prev.length + 1);
                                seq[prev.length] = token;
                                if (s.eosIds().contains(token)) {
                                    if (c < nb) h.add(seq, sc);
                                    continue;
                                }
                                int r = p * nb + filled++;
                                srcRow[r] = src;
                                tok[r] = token;
                                newScore[r] = sc;
                                newTokens[r] = seq;
                            }
                            if (!done[p] && h.isDone(topScore[p * 2 * nb])) done[p] = true;
                            if (done[p] || filled < nb) {
                                // rows of a finished prompt keep running on dummy input; their results are ignored
                                for (int r = p * nb + filled; r < (p + 1) * nb; r++) {
                                    srcRow[r] = step == 0 ? p : p * nb;
                                    tok[r] = 0;
                                    newScore[r] = Double.NEGATIVE_INFINITY;
                                    newTokens[r] = new int[0];
                                }
                            }
                        }
                        beamScore = newScore;
                        beamTokens = newTokens;
                        boolean allDone = true;
                        for (boolean d : done) allDone &= d;
                        if (allDone || step + 1 == s.maxNewTokens()) break;
                        KvCache reordered = cache.select(Tensors.longs(srcRow, engine.model().options().torchDevice(), b * nb)).retain();
                        cache.close(); // the old copy is freed now, not at the end of the generation
                        cache = reordered;
                        last = advance(last, decodeStep(tok, nextPos, step, cache));
                    }
                }
            } finally {
                cache.close();
                last.close();
            }
            // max length reached: running beams become hypotheses (HF finalize) for prompts not done
            for (int p = 0; p < b; p++) {
                if (done[p]) continue;
                for (int r = p * nb; r < (p + 1) * nb; r++)
                    if (beamScore[r] != Double.NEGATIVE_INFINITY) hyps.get(p).add(beamTokens[r], beamScore[r]);
            }
        }
        List<Generation> res = new ArrayList<>();
        for (BeamHypotheses h : hyps) res.add(h.best());
        return res;
    }

    /** Replaces the retained hidden state {@code old} with {@code now} (retained): one survives the step scope. */
    private static Tensor advance(Tensor old, Tensor now) {
        Tensors.retain(now);
        old.close();
        return now;
    }

    private static float[] toFloat(double[] d) {
        float[] f = new float[d.length];
        for (int i = 0; i < d.length; i++) f[i] = (float) d[i];
        return f;
    }

    private static double[] toDoubleArray(Tensor t) {
        float[] f = Tensors.toFloats(t);
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) d[i] = f[i];
        return d;
    }

    /** The numBeams best finished hypotheses of one prompt (length_penalty 0: score = summed log-probs). */
    private static final class BeamHypotheses {
        private final int size;
        private final List<Generation> list = new ArrayList<>();

        BeamHypotheses(int size) { this.size = size; }

        void add(int[] tokens, double score) {
            if (list.size() == size && score <= worst()) return;
            list.add(new Generation(tokens, score));
            list.sort((a, c) -> Double.compare(c.score(), a.score()));
            if (list.size() > size) list.remove(list.size() - 1);
        }

        double worst() { return list.get(list.size() - 1).score(); }

        boolean isDone(double bestCandidate) { return list.size() >= size && worst() >= bestCandidate; }

        Generation best() { return list.isEmpty() ? new Generation(new int[0], Double.NEGATIVE_INFINITY) : list.get(0); }
    }
}
