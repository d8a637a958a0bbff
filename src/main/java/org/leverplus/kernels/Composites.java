package org.leverplus.kernels;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * The LibTorch compositions each kernel replaces. They define the kernels' semantics, serve as the fallback with
 * {@code -Dlever.kernels=off}, and are what tests and benchmarks compare against.
 */
public final class Composites {
    private Composites() {}

    /** masked scaling, log_softmax, gather: exactly the original's pointer logits (masked entries = -100). */
    public static Kernels.StepResult pointerStep(Tensor scores, Tensor mask, Tensor target, double temperature) {
        Tensor z = scores.mul(new Scalar(1.0 / temperature));
        if (mask != null) z = z.masked_fill(mask.to(ScalarType.Bool), new Scalar(-100.0));
        Tensor lse = torch.logsumexp(z, new long[]{1}, false);
        Tensor picked = z.gather(1, target.unsqueeze(1)).squeeze(1);
        return new Kernels.StepResult(picked.sub(lse), lse);
    }

    /** The gradient of {@link #pointerStep} with respect to scores, by LibTorch autograd. */
    public static Tensor pointerStepBackward(Tensor scores, Tensor mask, Tensor target, double temperature, Tensor gradOut) {
        Tensor s = scores.detach().clone().requires_grad_(true);
        Tensor out = pointerStep(s, mask, target, temperature).logprobs();
        out.backward(gradOut, new org.bytedeco.pytorch.BoolOptional(), false, new org.bytedeco.pytorch.TensorArrayRefOptional());
        return s.grad();
    }

    /** matmul, log_softmax over the vocabulary, gather: materialises the [T,V] logits. */
    public static Tensor answerTokenLogprobs(Tensor hidden, Tensor weight, Tensor target) {
        Tensor w = weight.scalar_type().intern() == ScalarType.Float ? weight : weight.to(ScalarType.Float);
        Tensor logits = hidden.matmul(w.t());
        return torch.log_softmax(logits, 1).gather(1, target.unsqueeze(1)).squeeze(1);
    }
}
