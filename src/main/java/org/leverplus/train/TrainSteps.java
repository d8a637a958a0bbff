package org.leverplus.train;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.leverplus.selector.PointerSelector;

/** One optimizer step of a phase on one batch (shared by the trainer and the benchmarks); call inside a TensorScope. */
public final class TrainSteps {
    private TrainSteps() {}

    /** Loss value and pre-clipping gradient norm of a step. */
    public record StepResult(double loss, double gradNorm) {}

    /**
     * A GRPO step: train mode, zero grads, PPO-clip + β·k3-KL loss against the reference log-probs {@code old} [B,N]
     * with advantages {@code adv} [B,N], backward, clip, AdamW. The caller applies the adaptive-β rule.
     */
    public static SelectorLosses.Grpo grpo(PointerSelector model, AdamW opt, TensorVector trainable, GroupBatch b, Tensor old,
                                           Tensor adv, double eps, double beta, boolean ppoOnly,
                                           PointerSelector.DropoutSharing sharing, double clip) {
        model.train(true);
        opt.zeroGrad();
        SelectorLosses.Grpo g = SelectorLosses.grpo(model, b, old, adv, b.validMask(), eps, beta, ppoOnly, sharing);
        g.loss().backward();
        double norm = torch.clip_grad_norm_(trainable, clip);
        opt.step();
        return new SelectorLosses.Grpo(g.loss(), g.ppo(), g.kl(), g.ratioMean(), g.advMean(), g.advStd(), g.advAbsMax(), norm);
    }

    /** The original's adaptive β, applied after every step: ×1.5 if KL > 0.1, ÷1.5 if KL < 0.01, clamped to [0.001, 10]. */
    public static double adaptBeta(double beta, double kl) {
        if (kl > 0.1) beta *= 1.5;
        else if (kl < 0.01) beta /= 1.5;
        return Math.max(0.001, Math.min(10.0, beta));
    }

    /** An RCE step at temperature {@code tau}: train mode, zero grads, loss, backward, clip, AdamW. */
    public static StepResult rce(PointerSelector model, AdamW opt, TensorVector trainable, GroupBatch b, double tau,
                                 PointerSelector.DropoutSharing sharing, double clip) {
        model.train(true);
        opt.zeroGrad();
        Tensor loss = SelectorLosses.rce(model, b, SelectorLosses.rceWeights(b, tau, false), sharing);
        loss.backward();
        double norm = torch.clip_grad_norm_(trainable, clip);
        opt.step();
        return new StepResult(loss.item_double(), norm);
    }
}
