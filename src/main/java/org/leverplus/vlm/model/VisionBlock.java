package org.leverplus.vlm.model;

import org.bytedeco.pytorch.Tensor;

/** Qwen2_5_VLVisionBlock: pre-norm {@code x += attn(norm1(x)); x += mlp(norm2(x))}, RMSNorm eps 1e-6 (hard-coded upstream). */
public final class VisionBlock {
    private final RmsNorm norm1, norm2;
    private final VisionAttention attn;
    private final Qwen25VlMlp mlp;

    private VisionBlock(RmsNorm norm1, RmsNorm norm2, VisionAttention attn, Qwen25VlMlp mlp) {
        this.norm1 = norm1; this.norm2 = norm2; this.attn = attn; this.mlp = mlp;
    }

    public static VisionBlock load(ParameterLoader p, int index, ModelDims.Vision v) {
        String pre = "visual.blocks." + index + ".";
        return new VisionBlock(RmsNorm.load(p, pre + "norm1", v.hidden(), 1e-6), RmsNorm.load(p, pre + "norm2", v.hidden(), 1e-6),
                VisionAttention.load(p, pre + "attn.", v), Qwen25VlMlp.load(p, pre + "mlp.", v.hidden(), v.intermediate(), true));
    }

    public Tensor forward(Tensor x, Tensor cos, Tensor sin, int[] cuSeqlens) {
        x = x.add(attn.forward(norm1.forward(x), cos, sin, cuSeqlens));
        return x.add(mlp.forward(norm2.forward(x)));
    }
}
