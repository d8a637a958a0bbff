package org.leverplus.vlm.model;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/** Qwen2RMSNorm: mean square in float32, scale, cast back to the input dtype, then multiply by the weight. */
public final class RmsNorm {
    private final Tensor weight; // (dim)
    private final double eps;

    public RmsNorm(Tensor weight, double eps) {
        this.weight = weight;
        this.eps = eps;
    }

    public static RmsNorm load(ParameterLoader p, String name, long dim, double eps) {
        return new RmsNorm(p.load(name + ".weight", dim), eps);
    }

    public Tensor forward(Tensor x) {
        ScalarType dt = x.scalar_type().intern();
        Tensor h = Tensors.as(x, ScalarType.Float);
        Tensor var = Tensors.meanLast(h.mul(h));
        h = h.mul(torch.rsqrt(var.add(Tensors.scalar(eps))));
        return weight.mul(Tensors.as(h, dt));
    }
}
