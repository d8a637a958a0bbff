package org.leverplus.vlm.model;

import org.bytedeco.pytorch.DoubleOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;

/**
 * Qwen2_5_VLVisionAttention: fused qkv with bias, 2-D rotary, non-causal attention restricted to chunks
 * ({@code cu_seqlens}: windows or whole frames; never across images), output projection with bias.
 * Each chunk is one scaled_dot_product_attention call (as the reference's SDPA path does).
 */
public final class VisionAttention {
    private final Tensor qkvW, qkvB;   // (3*dim, dim), (3*dim)
    private final Tensor projW, projB; // (dim, dim), (dim)
    private final int heads, headDim;

    private VisionAttention(Tensor qkvW, Tensor qkvB, Tensor projW, Tensor projB, int heads, int headDim) {
        this.qkvW = qkvW; this.qkvB = qkvB; this.projW = projW; this.projB = projB; this.heads = heads; this.headDim = headDim;
    }

    public static VisionAttention load(ParameterLoader p, String prefix, ModelDims.Vision v) {
        long d = v.hidden();
        return new VisionAttention(p.load(prefix + "qkv.weight", 3 * d, d), p.load(prefix + "qkv.bias", 3 * d),
                p.load(prefix + "proj.weight", d, d), p.load(prefix + "proj.bias", d), v.heads(), v.headDim());
    }

    /** x [n, dim], cos/sin [n, headDim] float32, cuSeqlens chunk boundaries over n. */
    public Tensor forward(Tensor x, Tensor cos, Tensor sin, int[] cuSeqlens) {
        long n = x.size(0);
        FlopCounter.linear(x, qkvW, 1);
        Tensor qkv = Tensors.linear(x, qkvW, qkvB).reshape(n, 3, heads, headDim).permute(1, 0, 2, 3);
        Tensor q = VisionRotaryEmbedding.apply(qkv.select(0, 0), cos, sin).transpose(0, 1); // [heads, n, hd]
        Tensor k = VisionRotaryEmbedding.apply(qkv.select(0, 1), cos, sin).transpose(0, 1);
        Tensor v = qkv.select(0, 2).transpose(0, 1);
        TensorVector outs = new TensorVector();
        double scale = 1.0 / Math.sqrt(headDim);
        for (int c = 0; c + 1 < cuSeqlens.length; c++) {
            long s = cuSeqlens[c], len = cuSeqlens[c + 1] - s;
            if (len == 0) continue;
            FlopCounter.add(4L * heads * headDim * len * len);
            outs.push_back(torch.scaled_dot_product_attention(q.narrow(1, s, len).unsqueeze(0), k.narrow(1, s, len).unsqueeze(0),
                    v.narrow(1, s, len).unsqueeze(0), new TensorOptional(), 0.0, false, new DoubleOptional(scale), false));
        }
        Tensor o = torch.cat(outs, 2).squeeze(0).transpose(0, 1).reshape(n, (long) heads * headDim);
        FlopCounter.linear(o, projW, 1);
        return Tensors.linear(o, projW, projB);
    }
}
