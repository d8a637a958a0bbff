package org.leverplus.clip;

import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.leverplus.vlm.model.ParameterLoader;
import org.leverplus.vlm.model.Tensors;

/**
 * CLIPEncoderLayer: pre-LN attention and MLP, each with a residual. Attention has biased q/k/v/out projections and
 * scale headDim^-1/2; the text tower makes it causal, the vision tower does not. MLP: fc1, activation, fc2.
 */
final class ClipEncoderLayer {
    private final Tensor ln1W, ln1B, ln2W, ln2B;             // (h)
    private final Tensor qW, qB, kW, kB, vW, vB, oW, oB;     // (h, h), (h)
    private final Tensor fc1W, fc1B, fc2W, fc2B;             // (inter, h), (inter), (h, inter), (h)
    private final int heads, headDim;
    private final double eps;
    private final ClipConfig.Activation act;

    private ClipEncoderLayer(ParameterLoader p, String prefix, long h, long inter, int heads, double eps, ClipConfig.Activation act) {
        ln1W = p.load(prefix + "layer_norm1.weight", h);
        ln1B = p.load(prefix + "layer_norm1.bias", h);
        ln2W = p.load(prefix + "layer_norm2.weight", h);
        ln2B = p.load(prefix + "layer_norm2.bias", h);
        String a = prefix + "self_attn.";
        qW = p.load(a + "q_proj.weight", h, h);
        qB = p.load(a + "q_proj.bias", h);
        kW = p.load(a + "k_proj.weight", h, h);
        kB = p.load(a + "k_proj.bias", h);
        vW = p.load(a + "v_proj.weight", h, h);
        vB = p.load(a + "v_proj.bias", h);
        oW = p.load(a + "out_proj.weight", h, h);
        oB = p.load(a + "out_proj.bias", h);
        fc1W = p.load(prefix + "mlp.fc1.weight", inter, h);
        fc1B = p.load(prefix + "mlp.fc1.bias", inter);
        fc2W = p.load(prefix + "mlp.fc2.weight", h, inter);
        fc2B = p.load(prefix + "mlp.fc2.bias", h);
        this.heads = heads;
        this.headDim = (int) (h / heads);
        this.eps = eps;
        this.act = act;
    }

    static ClipEncoderLayer load(ParameterLoader p, String prefix, long h, long inter, int heads, double eps, ClipConfig.Activation act) {
        return new ClipEncoderLayer(p, prefix, h, inter, heads, eps, act);
    }

    /** x [B, L, h]. */
    Tensor forward(Tensor x, boolean causal) {
        long b = x.size(0), l = x.size(1), h = x.size(2);
        Tensor n = layerNorm(x, ln1W, ln1B, eps);
        Tensor q = heads(Tensors.linear(n, qW, qB), b, l), k = heads(Tensors.linear(n, kW, kB), b, l), v = heads(Tensors.linear(n, vW, vB), b, l);
        Tensor o = torch.scaled_dot_product_attention(q, k, v, new TensorOptional(), 0.0, causal,
                new DoubleOptional(1.0 / Math.sqrt(headDim)), false);
        x = x.add(Tensors.linear(o.transpose(1, 2).reshape(b, l, h), oW, oB));
        Tensor m = Tensors.linear(layerNorm(x, ln2W, ln2B, eps), fc1W, fc1B);
        return x.add(Tensors.linear(activation(m, act), fc2W, fc2B));
    }

    private Tensor heads(Tensor t, long b, long l) {
        return t.view(b, l, heads, headDim).transpose(1, 2);
    }

    static Tensor layerNorm(Tensor x, Tensor w, Tensor b, double eps) {
        return torch.layer_norm(x, new long[]{x.size(-1)}, new TensorOptional(w), new TensorOptional(b), eps, false);
    }

    static Tensor activation(Tensor x, ClipConfig.Activation act) {
        return switch (act) {
            case QUICK_GELU -> x.mul(torch.sigmoid(x.mul(Tensors.scalar(1.702))));
            case GELU -> torch.gelu(x);
        };
    }
}
