package org.leverplus.rlgen;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.leverplus.selector.PointerSelector;
import org.leverplus.selector.Tensors;

/**
 * The selector's step logits as the original's proposal code computes them (spec 8.2): the model's step scores
 * divided by its temperature, chosen positions set to a fill value (-100 for beam search, -1e9 for sampling),
 * excluded positions set to another (-inf for beam search, -1e9 for sampling).
 */
final class SelectorStep {
    private SelectorStep() {}

    /** Encodes one query with {@code rows} decoder rows (eval mode: every row is the same initial state). */
    static PointerSelector.Encoded encode(PointerSelector m, ProposalContext ctx, int rows) {
        int k = ctx.poolSize(), d = ctx.query().length;
        float[] flat = new float[k * d];
        for (int j = 0; j < k; j++) System.arraycopy(ctx.pool()[j], 0, flat, j * d, d);
        Tensor q = Tensors.floats(ctx.query(), 1, d), pool = Tensors.floats(flat, 1, k, d);
        return m.encode(q, pool, null, rows, PointerSelector.DropoutSharing.PER_GROUP);
    }

    /** Logits [rows][K] of step t for the given states; masks are per row. */
    static double[][] logits(PointerSelector m, PointerSelector.Encoded e, Tensor state, int t, boolean[][] chosen,
                             boolean[] excluded, double chosenFill, double excludedFill) {
        int k = e.pool(), rows = chosen.length;
        float[] s = Tensors.toFloats(m.stepScores(e, state, t).mul(new Scalar(1.0 / m.config().temperature())));
        double[][] z = new double[rows][k];
        for (int r = 0; r < rows; r++)
            for (int j = 0; j < k; j++)
                z[r][j] = excluded[j] ? excludedFill : chosen[r][j] ? chosenFill : s[r * k + j];
        return z;
    }

    /** log_softmax of one row in double precision (-inf entries stay -inf). */
    static double[] logSoftmax(double[] z) {
        double max = Double.NEGATIVE_INFINITY;
        for (double v : z) max = Math.max(max, v);
        double sum = 0;
        for (double v : z) sum += Math.exp(v - max);
        double lse = max + Math.log(sum);
        double[] out = new double[z.length];
        for (int j = 0; j < z.length; j++) out[j] = z[j] - lse;
        return out;
    }

    /** The next decoder state of one row after choosing {@code position}. */
    static Tensor next(PointerSelector m, PointerSelector.Encoded e, Tensor state, long[] positions) {
        Tensor idx = Tensors.longs(positions, positions.length);
        return m.nextState(state, m.chosen(e, idx));
    }
}
