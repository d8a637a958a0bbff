package org.leverplus.train;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.leverplus.reward.RceWeights;
import org.leverplus.selector.PointerSelector;
import org.leverplus.selector.Tensors;

/** The selector's training losses on a {@link GroupBatch} (spec 6.3, 10.3, 10.5). */
public final class SelectorLosses {
    private SelectorLosses() {}

    /** Teacher-forced sequence log-probabilities Σ_t log π(label_t), [B,N] (padded rows included, mask them). */
    public static Tensor sequenceLogprobs(PointerSelector m, GroupBatch b, PointerSelector.DropoutSharing sharing) {
        PointerSelector.Encoded e = m.encode(b.query(), b.pool(), b.poolPad(), b.n(), sharing);
        Tensor lp = m.teacherForcedLogprobs(e, b.labels());
        return Tensors.sum(lp, 1, false).reshape(b.groupCount(), b.n());
    }

    /** RCE weights softmax(r/τ) per group as [B,N] (padded rows 0). */
    public static Tensor rceWeights(GroupBatch b, double tau, boolean raw) {
        return b.perRow(g -> RceWeights.softmax(raw ? g.rawRewards() : g.rceRewards(), tau), 0f);
    }

    /** {@code L_RCE = mean_groups Σ_i w_i · CE_i}, CE_i = −Σ_t log π(label_{i,t}); {@code weights} [B,N]. */
    public static Tensor rce(PointerSelector m, GroupBatch b, Tensor weights, PointerSelector.DropoutSharing sharing) {
        Tensor seq = sequenceLogprobs(m, b, sharing);
        return Tensors.sum(weights.mul(seq), 1, false).mean().neg();
    }

    /** GRPO loss terms for one step. */
    public record Grpo(Tensor loss, double ppo, double kl, double ratioMean, double advMean, double advStd, double advAbsMax, double gradNorm) {}

    /**
     * {@code L = −mean(min(ρA, clip(ρ,1−ε,1+ε)A)) + β·mean(ρ − 1 − log ρ)} over the real candidates of the batch,
     * {@code ρ = exp(new − old)}.
     *
     * @param oldLp [B,N] reference log-probs; adv [B,N] advantages; valid [B,N] 1/0
     */
    public static Grpo grpo(PointerSelector m, GroupBatch b, Tensor oldLp, Tensor adv, Tensor valid, double eps, double beta,
                            boolean ppoOnly, PointerSelector.DropoutSharing sharing) {
        Tensor newLp = sequenceLogprobs(m, b, sharing);
        Tensor logRatio = newLp.sub(oldLp).mul(valid);              // padded rows: ratio 1, contribute 0
        Tensor ratio = logRatio.exp();
        Tensor clipped = ratio.clamp(new org.bytedeco.pytorch.ScalarOptional(new Scalar(1 - eps)), new org.bytedeco.pytorch.ScalarOptional(new Scalar(1 + eps)));
        Tensor obj = torch.min(ratio.mul(adv), clipped.mul(adv));
        double count = valid.sum().item_double();
        Tensor ppo = obj.mul(valid).sum().div(new Scalar(count)).neg();
        Tensor kl = ratio.sub(new Scalar(1.0)).sub(logRatio).mul(valid).sum().div(new Scalar(count));
        Tensor loss = ppoOnly ? ppo : ppo.add(kl.mul(new Scalar(beta)));
        float[] a = Tensors.toFloats(adv), v = Tensors.toFloats(valid), r = Tensors.toFloats(ratio);
        double sum = 0, sq = 0, max = 0, rs = 0;
        int c = 0;
        for (int i = 0; i < a.length; i++) if (v[i] > 0) { sum += a[i]; max = Math.max(max, Math.abs(a[i])); rs += r[i]; c++; }
        double mean = sum / c;
        for (int i = 0; i < a.length; i++) if (v[i] > 0) sq += (a[i] - mean) * (a[i] - mean);
        return new Grpo(loss, ppo.item_double(), kl.item_double(), rs / c, mean, c > 1 ? Math.sqrt(sq / (c - 1)) : 0, max, Double.NaN);
    }

    /**
     * SFT cross-entropy with label smoothing ε over the teacher-forced masked logits (chosen positions at −100 stay
     * among the classes, as in the original's {@code F.cross_entropy}); padded pool positions are not classes.
     * Mean over real sequences and steps.
     */
    public static Tensor sft(PointerSelector m, GroupBatch b, double smoothing, PointerSelector.DropoutSharing sharing) {
        PointerSelector.Encoded e = m.encode(b.query(), b.pool(), b.poolPad(), b.n(), sharing);
        Tensor z = m.teacherForcedLogits(e, b.labels());                                  // [R,S,K]
        int r = (int) z.size(0), s = (int) z.size(1), k = (int) z.size(2);
        if (b.poolPad() != null) {
            Tensor pad = b.poolPad().unsqueeze(1).expand(b.groupCount(), b.n(), k).reshape(r, 1, k).expand(r, s, k);
            z = z.masked_fill(pad, new Scalar(Double.NEGATIVE_INFINITY));
        }
        Tensor logp = z.log_softmax(2);
        Tensor nll = logp.gather(2, b.labels().unsqueeze(2)).squeeze(2).neg();            // [R,S]
        Tensor loss = nll;
        if (smoothing > 0) {
            Tensor classes;
            Tensor lpFinite = logp;
            if (b.poolPad() != null) {
                Tensor pad = b.poolPad().unsqueeze(1).expand(b.groupCount(), b.n(), k).reshape(r, 1, k).expand(r, s, k);
                lpFinite = logp.masked_fill(pad, new Scalar(0.0));
                classes = b.poolPad().logical_not().sum(new long[]{1}, false, new ScalarTypeOptional()).to(org.bytedeco.pytorch.global.torch.ScalarType.Float)
                        .unsqueeze(1).expand(b.groupCount(), b.n()).reshape(r, 1);
            } else {
                classes = torch.full(new long[]{r, 1}, new Scalar(k)).to(z.device(), org.bytedeco.pytorch.global.torch.ScalarType.Float);
            }
            Tensor smooth = Tensors.sum(lpFinite, 2, false).neg().div(classes);           // [R,S]
            loss = nll.mul(new Scalar(1 - smoothing)).add(smooth.mul(new Scalar(smoothing)));
        }
        Tensor valid = b.validMask().reshape(r, 1);
        return loss.mul(valid).sum().div(new Scalar(valid.sum().item_double() * s));
    }

    static TensorOptional none() { return new TensorOptional(); }
}
