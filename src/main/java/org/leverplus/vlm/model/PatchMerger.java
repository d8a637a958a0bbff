package org.leverplus.vlm.model;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;

/**
 * Qwen2_5_VLPatchMerger: RMSNorm per patch, each group of mergeUnit consecutive patches viewed as one vector,
 * then Linear -> exact GELU -> Linear to the text width.
 */
public final class PatchMerger {
    private final RmsNorm lnQ;
    private final Tensor fc1W, fc1B; // (dim*unit, dim*unit), (dim*unit)
    private final Tensor fc2W, fc2B; // (out, dim*unit), (out)
    private final long groupDim;

    private PatchMerger(RmsNorm lnQ, Tensor fc1W, Tensor fc1B, Tensor fc2W, Tensor fc2B, long groupDim) {
        this.lnQ = lnQ; this.fc1W = fc1W; this.fc1B = fc1B; this.fc2W = fc2W; this.fc2B = fc2B; this.groupDim = groupDim;
    }

    public static PatchMerger load(ParameterLoader p, ModelDims.Vision v) {
        long g = (long) v.hidden() * v.mergeUnit();
        return new PatchMerger(RmsNorm.load(p, "visual.merger.ln_q", v.hidden(), 1e-6),
                p.load("visual.merger.mlp.0.weight", g, g), p.load("visual.merger.mlp.0.bias", g),
                p.load("visual.merger.mlp.2.weight", v.outHidden(), g), p.load("visual.merger.mlp.2.bias", v.outHidden()), g);
    }

    /** [patches, dim] -> [patches/unit, out]. */
    public Tensor forward(Tensor x) {
        Tensor h = lnQ.forward(x).reshape(-1, groupDim);
        FlopCounter.linear(h, fc1W, 1);
        FlopCounter.linear(h, fc2W, 1);
        return Tensors.linear(torch.gelu(Tensors.linear(h, fc1W, fc1B)), fc2W, fc2B);
    }
}
