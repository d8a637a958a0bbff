package org.leverplus.vlm.model;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/** SwiGLU {@code down(silu(gate(x)) * up(x))}; the vision tower's has biases, the decoder's has none. */
public final class Qwen25VlMlp {
    private final Tensor gateW, gateB; // (inter, dim), (inter) or null
    private final Tensor upW, upB;     // (inter, dim), (inter) or null
    private final Tensor downW, downB; // (dim, inter), (dim) or null

    private Qwen25VlMlp(Tensor gateW, Tensor gateB, Tensor upW, Tensor upB, Tensor downW, Tensor downB) {
        this.gateW = gateW; this.gateB = gateB; this.upW = upW; this.upB = upB; this.downW = downW; this.downB = downB;
    }

    public static Qwen25VlMlp load(ParameterLoader p, String prefix, long dim, long inter, boolean bias) {
        return new Qwen25VlMlp(
                p.load(prefix + "gate_proj.weight", inter, dim), bias ? p.load(prefix + "gate_proj.bias", inter) : null,
                p.load(prefix + "up_proj.weight", inter, dim), bias ? p.load(prefix + "up_proj.bias", inter) : null,
                p.load(prefix + "down_proj.weight", dim, inter), bias ? p.load(prefix + "down_proj.bias", dim) : null);
    }

    public Tensor forward(Tensor x) {
        FlopCounter.linear(x, gateW, 3);
        Tensor g = torch.silu(Tensors.linear(x, gateW, gateB));
        return Tensors.linear(g.mul(Tensors.linear(x, upW, upB)), downW, downB);
    }
}
