package org.leverplus.vlm.model;

import org.bytedeco.pytorch.Tensor;

/**
 * Read access to a checkpoint by canonical (legacy-layout) names such as {@code visual.blocks.0.attn.qkv.weight}
 * or {@code model.layers.0.self_attn.q_proj.bias}. The returned tensor may be a read-only view into a mapped file:
 * the model copies what it keeps.
 */
public interface WeightSource {
    boolean contains(String canonicalName);

    /** The tensor, or IllegalArgumentException naming the missing key. */
    Tensor get(String canonicalName);
}
