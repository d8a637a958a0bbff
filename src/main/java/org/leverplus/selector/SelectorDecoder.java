package org.leverplus.selector;

import org.bytedeco.pytorch.AutoGradMode;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Decoding over one query's own candidate pool: greedy (the original's inference), beam search and temperature
 * sampling. Any number of shots up to the pool size K (chosen positions are masked, so a selection never repeats an
 * item); the original's inference instead used the first K training items for every query (spec 12.3).
 * All methods run under no-grad and use the model as it is (call {@code model.train(false)} for inference).
 */
public final class SelectorDecoder {
    private SelectorDecoder() {}

    /** A selected sequence: pool positions in prompt order and its log-probability under the model. */
    public record Selection(int[] positions, double logprob) {
        @Override public String toString() { return Arrays.toString(positions) + " logprob=" + logprob; }
    }

    /** Greedy decoding: argmax at every step (ties: lowest position, like torch.argmax). */
    public static Selection greedy(PointerSelector m, Tensor query, Tensor pool, int shots) {
        return beam(m, query, pool, shots, 1).get(0);
    }

    /**
     * Beam search of width {@code width} by total log-probability; returns up to {@code width} finished sequences,
     * best first. Width 1 is greedy decoding.
     */
    public static List<Selection> beam(PointerSelector m, Tensor query, Tensor pool, int shots, int width) {
        int k = checkShots(query, pool, shots);
        if (width < 1) throw new IllegalArgumentException("beam width must be >= 1, got " + width);
        try (AutoGradMode noGrad = new AutoGradMode(false)) {
            PointerSelector.Encoded e = m.encode(query, pool, null, width, PointerSelector.DropoutSharing.PER_GROUP);
            Tensor state = e.state();
            int alive = 1;
            int[][] seqs = new int[width][0];
            double[] scores = new double[width];
            boolean[][] masks = new boolean[width][k];
            for (int t = 0; t < shots; t++) {
                float[] lp = Tensors.toFloats(logSoftmax(m, e, state, t, masks));
                List<double[]> cand = new ArrayList<>();                // {score, beam, position}
                for (int w = 0; w < alive; w++)
                    for (int j = 0; j < k; j++)
                        if (!masks[w][j]) cand.add(new double[]{scores[w] + lp[w * k + j], w, j});
                cand.sort((a, b) -> a[0] != b[0] ? Double.compare(b[0], a[0]) : a[1] != b[1] ? Double.compare(a[1], b[1]) : Double.compare(a[2], b[2]));
                int next = Math.min(width, cand.size());
                long[] parents = new long[width], idx = new long[width];
                int[][] nseq = new int[width][];
                double[] nscore = new double[width];
                boolean[][] nmask = new boolean[width][];
                for (int i = 0; i < width; i++) {
                    double[] c = cand.get(Math.min(i, next - 1));       // pad unused rows with the last live beam
                    int w = (int) c[1], j = (int) c[2];
                    parents[i] = w;
                    idx[i] = j;
                    nseq[i] = Arrays.copyOf(seqs[w], t + 1);
                    nseq[i][t] = j;
                    nscore[i] = c[0];
                    nmask[i] = masks[w].clone();
                    nmask[i][j] = true;
                }
                seqs = nseq; scores = nscore; masks = nmask; alive = next;
                if (t + 1 < shots) {
                    Tensor par = onDevice(Tensors.longs(parents, width), state);
                    Tensor ix = onDevice(Tensors.longs(idx, width), state);
                    state = m.nextState(state.index_select(0, par), m.chosen(e, ix));
                }
            }
            List<Selection> out = new ArrayList<>();
            for (int i = 0; i < alive; i++) out.add(new Selection(seqs[i], scores[i]));
            return out;
        }
    }

    /** Temperature sampling: at each step draw from softmax(logits / samplingTemperature) over the unchosen items. */
    public static Selection sample(PointerSelector m, Tensor query, Tensor pool, int shots, double samplingTemperature, Random rnd) {
        int k = checkShots(query, pool, shots);
        if (!(samplingTemperature > 0)) throw new IllegalArgumentException("sampling temperature must be > 0, got " + samplingTemperature);
        try (AutoGradMode noGrad = new AutoGradMode(false)) {
            PointerSelector.Encoded e = m.encode(query, pool, null, 1, PointerSelector.DropoutSharing.PER_GROUP);
            Tensor state = e.state();
            boolean[][] mask = new boolean[1][k];
            int[] seq = new int[shots];
            double total = 0;
            for (int t = 0; t < shots; t++) {
                float[] lp = Tensors.toFloats(logSoftmax(m, e, state, t, mask));
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < k; j++) if (!mask[0][j]) max = Math.max(max, lp[j] / samplingTemperature);
                double[] p = new double[k];
                double z = 0;
                for (int j = 0; j < k; j++) if (!mask[0][j]) { p[j] = Math.exp(lp[j] / samplingTemperature - max); z += p[j]; }
                double u = rnd.nextDouble() * z, acc = 0;
                int pick = -1;
                for (int j = 0; j < k; j++) {
                    if (mask[0][j]) continue;
                    acc += p[j];
                    pick = j;
                    if (acc >= u) break;
                }
                seq[t] = pick;
                total += lp[pick];
                mask[0][pick] = true;
                if (t + 1 < shots) state = m.nextState(state, m.chosen(e, onDevice(Tensors.longs(new long[]{pick}, 1), state)));
            }
            return new Selection(seq, total);
        }
    }

    /** log_softmax of the masked step logits, [R,K]. */
    static Tensor logSoftmax(PointerSelector m, PointerSelector.Encoded e, Tensor state, int t, boolean[][] masks) {
        int k = e.pool();
        boolean[] flat = new boolean[masks.length * k];
        for (int r = 0; r < masks.length; r++) System.arraycopy(masks[r], 0, flat, r * k, k);
        Tensor z = m.stepScores(e, state, t).mul(new Scalar(1.0 / m.config().temperature()))
                .masked_fill(onDevice(Tensors.bools(flat, masks.length, k), state), new Scalar(PointerSelector.MASKED_LOGIT));
        return z.log_softmax(1);
    }

    /** Moves a small CPU index/mask tensor next to {@code like} (no-op on CPU). */
    static Tensor onDevice(Tensor t, Tensor like) {
        return like.is_cpu() ? t : t.to(like.device(), t.scalar_type(), false, false, new org.bytedeco.pytorch.MemoryFormatOptional());
    }

    private static int checkShots(Tensor query, Tensor pool, int shots) {
        if (query.dim() != 2 || query.size(0) != 1 || pool.dim() != 3 || pool.size(0) != 1)
            throw new IllegalArgumentException("decoding takes one query: expected query [1,d] and pool [1,K,d], got "
                    + Arrays.toString(Tensors.shape(query)) + " and " + Arrays.toString(Tensors.shape(pool)));
        int k = (int) pool.size(1);
        if (shots < 1 || shots > k)
            throw new IllegalArgumentException("shots must be in [1, pool size " + k + "], got " + shots);
        return k;
    }
}
