package org.leverplus.vlm.model;

import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;

/**
 * Qwen2_5_VLAttention: q/k/v projections with bias, o_proj without, M-RoPE on q and k, grouped-query attention
 * (each key/value head serves heads/kvHeads query heads) through scaled_dot_product_attention with a boolean mask
 * (causal over the cached + new keys, padding keys masked).
 */
public final class Qwen2Attention {
    private final Tensor qW, qB; // (heads*hd, hidden), (heads*hd)
    private final Tensor kW, kB; // (kvHeads*hd, hidden), (kvHeads*hd)
    private final Tensor vW, vB; // (kvHeads*hd, hidden), (kvHeads*hd)
    private final Tensor oW;     // (hidden, heads*hd)
    private final int heads, kvHeads, headDim;

    private Qwen2Attention(Tensor qW, Tensor qB, Tensor kW, Tensor kB, Tensor vW, Tensor vB, Tensor oW, int heads, int kvHeads, int headDim) {
        this.qW = qW; this.qB = qB; this.kW = kW; this.kB = kB; this.vW = vW; this.vB = vB; this.oW = oW;
        this.heads = heads; this.kvHeads = kvHeads; this.headDim = headDim;
    }

    public static Qwen2Attention load(ParameterLoader p, String prefix, ModelDims d) {
        long h = d.hidden(), kv = d.kvDim();
        return new Qwen2Attention(p.load(prefix + "q_proj.weight", h, h), p.load(prefix + "q_proj.bias", h),
                p.load(prefix + "k_proj.weight", kv, h), p.load(prefix + "k_proj.bias", kv),
                p.load(prefix + "v_proj.weight", kv, h), p.load(prefix + "v_proj.bias", kv),
                p.load(prefix + "o_proj.weight", h, h), d.heads(), d.kvHeads(), d.headDim());
    }

    /** x [B, L, hidden]; cos/sin [B, L, hd]; mask [B, 1, L, S] bool (true = attend). */
    public Tensor forward(Tensor x, Tensor cos, Tensor sin, Tensor mask, KvCache cache, int layer) {
        long b = x.size(0), l = x.size(1);
        FlopCounter.linear(x, qW, 2);
        FlopCounter.linear(x, kW, 2);
        Tensor q = Tensors.linear(x, qW, qB).view(b, l, heads, headDim).transpose(1, 2);
        Tensor k = Tensors.linear(x, kW, kB).view(b, l, kvHeads, headDim).transpose(1, 2);
        Tensor v = Tensors.linear(x, vW, vB).view(b, l, kvHeads, headDim).transpose(1, 2);
        q = MRope.apply(q, cos, sin);
        k = MRope.apply(k, cos, sin);
        Tensor[] kv = cache.append(layer, k, v);
        Tensor keys = repeatKv(kv[0]), values = repeatKv(kv[1]);
        long s = keys.size(2);
        FlopCounter.add(4L * b * heads * headDim * l * s);
        Tensor o = torch.scaled_dot_product_attention(q, keys, values, new TensorOptional(mask), 0.0, false,
                new DoubleOptional(1.0 / Math.sqrt(headDim)), false);
        return Tensors.linear(o.transpose(1, 2).reshape(b, l, (long) heads * headDim), oW, null);
    }

    /** [B, kvHeads, S, hd] -> [B, heads, S, hd] (repeat_kv). */
    private Tensor repeatKv(Tensor t) {
        int rep = heads / kvHeads;
        if (rep == 1) return t;
        long b = t.size(0), s = t.size(2);
        return t.unsqueeze(2).expand(b, kvHeads, rep, s, headDim).reshape(b, heads, s, headDim);
    }
}
