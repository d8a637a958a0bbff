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
