package org.leverplus.vlm.model;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import java.util.List;

/**
 * Multimodal rotary embedding (Qwen2_5_VLRotaryEmbedding + apply_multimodal_rotary_pos_emb). Positions are
 * [3, B, L] (t, h, w). Of the headDim/2 frequencies the first mropeSection[0] rotate by t, the next mropeSection[1]
 * by h, the rest by w; dims d and d + headDim/2 share a frequency (NeoX layout). Tables are built in float32 and then
 * cast to the activation dtype, as upstream.
 */
public final class MRope {
    private final int headDim;
    private final double theta;
    private final int[] section;

    public MRope(int headDim, double theta, List<Integer> section) {
        this.headDim = headDim;
        this.theta = theta;
        this.section = section.stream().mapToInt(Integer::intValue).toArray();
    }

    /** (cos, sin), each [B, L, headDim] in {@code dtype}. */
    public Tensor[] cosSin(Tensor positions, ScalarType dtype) {
        TensorOptions f32 = new TensorOptions(ScalarType.Float);
        Tensor exponent = torch.arange(Tensors.scalar(0), Tensors.scalar(headDim), Tensors.scalar(2), f32).div(Tensors.scalar(headDim));
        Tensor invFreq = torch.pow(Tensors.scalar(theta), exponent).reciprocal().to(positions.device(), ScalarType.Float);
        Tensor freqs = positions.to(ScalarType.Float).unsqueeze(-1).mul(invFreq); // [3, B, L, hd/2]
        Tensor[] parts = new Tensor[3];
        long off = 0;
        for (int a = 0; a < 3; a++) {
            parts[a] = freqs.select(0, a).narrow(-1, off, section[a]);
            off += section[a];
        }
        Tensor f = Tensors.cat(-1, parts);
        Tensor emb = Tensors.cat(-1, f, f);
        return new Tensor[]{Tensors.as(emb.cos(), dtype), Tensors.as(emb.sin(), dtype)};
    }

    /** x [B, heads, L, hd], cos/sin [B, L, hd]. */
    static Tensor apply(Tensor x, Tensor cos, Tensor sin) {
        Tensor c = cos.unsqueeze(1), s = sin.unsqueeze(1);
        return x.mul(c).add(Tensors.rotateHalf(x).mul(s));
    }
}
