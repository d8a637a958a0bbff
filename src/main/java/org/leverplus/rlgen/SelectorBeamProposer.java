package org.leverplus.rlgen;

import org.bytedeco.pytorch.AutoGradMode;
import org.bytedeco.pytorch.Tensor;
import org.leverplus.selector.PointerSelector;
import org.leverplus.selector.Tensors;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Selector beam search (spec 8.2, step 1), for any number of shots: excluded positions at -inf, already chosen
 * positions at -100 (the selector's own masking), log-softmax per step, keep the {@code width} best sequences by
 * cumulative log-probability (ties: earlier beam, then lower position). Emits {@code beam_rank},
 * {@code beam_score} (sum of the step probabilities) and {@code logprob_score} (sum of the step log-probabilities).
 * The model must be in eval mode.
 */
public final class SelectorBeamProposer implements Proposer {
    public static final int DEFAULT_WIDTH = 5;
    private final PointerSelector model;
    private final int width;

    public SelectorBeamProposer(PointerSelector model, int width) {
        if (width < 1) throw new IllegalArgumentException("beam width must be >= 1, got " + width);
        this.model = model;
        this.width = width;
    }

    @Override public String name() { return "beam"; }

    @Override public List<CandidateSequence> propose(ProposalContext ctx) {
        int k = ctx.poolSize(), shots = ctx.shots();
        try (AutoGradMode noGrad = new AutoGradMode(false)) {
            PointerSelector.Encoded e = SelectorStep.encode(model, ctx, width);
            Tensor state = e.state();
            int alive = 1;
            int[][] seqs = new int[width][0];
            double[] lp = new double[width], prob = new double[width];
            boolean[][] chosen = new boolean[width][k];
            for (int t = 0; t < shots; t++) {
                double[][] z = SelectorStep.logits(model, e, state, t, chosen, ctx.excluded(), PointerSelector.MASKED_LOGIT, Double.NEGATIVE_INFINITY);
                List<double[]> cand = new ArrayList<>();             // {cumulative logprob, beam, position, step logprob}
                for (int w = 0; w < alive; w++) {
                    double[] ls = SelectorStep.logSoftmax(z[w]);
                    for (int j = 0; j < k; j++)
                        if (!ctx.excluded()[j] && !chosen[w][j]) cand.add(new double[]{lp[w] + ls[j], w, j, ls[j]});
                }
                cand.sort((a, b) -> a[0] != b[0] ? Double.compare(b[0], a[0]) : a[1] != b[1] ? Double.compare(a[1], b[1]) : Double.compare(a[2], b[2]));
                int next = Math.min(width, cand.size());
                long[] parents = new long[width], idx = new long[width];
                int[][] nseq = new int[width][];
                double[] nlp = new double[width], nprob = new double[width];
                boolean[][] nchosen = new boolean[width][];
                for (int i = 0; i < width; i++) {
                    double[] c = cand.get(Math.min(i, next - 1));     // unused rows repeat the last live beam
                    int w = (int) c[1], j = (int) c[2];
                    parents[i] = w;
                    idx[i] = j;
                    nseq[i] = Arrays.copyOf(seqs[w], t + 1);
                    nseq[i][t] = j;
                    nlp[i] = c[0];
                    nprob[i] = prob[w] + Math.exp(c[3]);
                    nchosen[i] = chosen[w].clone();
                    nchosen[i][j] = true;
                }
                seqs = nseq; lp = nlp; prob = nprob; chosen = nchosen; alive = next;
                if (t + 1 < shots)
                    state = model.nextState(state.index_select(0, Tensors.longs(parents, width)), model.chosen(e, Tensors.longs(idx, width)));
            }
            List<CandidateSequence> out = new ArrayList<>();
            for (int i = 0; i < alive; i++) out.add(new CandidateSequence(seqs[i], name(), i, prob[i], lp[i], null, null));
            return out;
        }
    }
}
