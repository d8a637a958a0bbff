package org.leverplus.vlm.model;

import org.bytedeco.pytorch.Tensor;

/**
 * Qwen2_5_VisionPatchEmbed. The reference applies Conv3d(3 -> hidden, kernel = stride = (2, 14, 14)) to each
 * 1176-value patch row; because stride equals kernel this is one matmul with the kernel viewed as [hidden, 1176]
 * (the row order of pixel_values is (channel, frame, y, x), the kernel's own layout).
 */
public final class VisionPatchEmbed {
    private final Tensor proj; // (hidden, channels*frames*patch*patch)

    public VisionPatchEmbed(Tensor proj) { this.proj = proj; }

    public static VisionPatchEmbed load(ParameterLoader p, ModelDims.Vision v) {
        return new VisionPatchEmbed(p.loadAs("visual.patch_embed.proj.weight",
                new long[]{v.hidden(), v.inChannels(), v.temporalPatchSize(), v.patchSize(), v.patchSize()},
                v.hidden(), v.patchDim()));
    }

    /** pixel rows [patches, 1176] (any float type) -> [patches, hidden] in the weight's dtype. */
    public Tensor forward(Tensor pixelValues) {
        FlopCounter.linear(pixelValues, proj, 1);
        return Tensors.linear(Tensors.as(pixelValues, proj.scalar_type().intern()), proj, null);
    }
}
