package org.leverplus.vlm.model;

import java.util.List;

/**
 * The sizes and token ids the network needs, independent of how config.json spelled them. Built from the snapshot's
 * {@code Qwen25VlConfig} by the loader, or directly in tests.
 *
 * @param hidden               text hidden size
 * @param intermediate         text MLP width
 * @param layers               decoder layers
 * @param heads                query heads
 * @param kvHeads              key/value heads (GQA)
 * @param rmsEps               text RMSNorm epsilon
 * @param ropeTheta            text rope base
 * @param mropeSection         rotary frequencies per axis (t, h, w); sums to headDim/2
 * @param vocab                embedding rows
 * @param tiedEmbeddings       lm_head is the embedding matrix
 * @param eosIds               ids that end generation
 * @param imageTokenId         {@code <|image_pad|>}
 * @param visionStartId        {@code <|vision_start|>}
 * @param vision               vision tower sizes
 */
public record ModelDims(int hidden, int intermediate, int layers, int heads, int kvHeads, double rmsEps, double ropeTheta,
                        List<Integer> mropeSection, int vocab, boolean tiedEmbeddings, List<Integer> eosIds,
                        int imageTokenId, int visionStartId, Vision vision) {
    public ModelDims {
        mropeSection = List.copyOf(mropeSection);
        eosIds = List.copyOf(eosIds);
        if (hidden % heads != 0 || heads % kvHeads != 0)
            throw new IllegalArgumentException("hidden " + hidden + " / heads " + heads + " / kv heads " + kvHeads + " are inconsistent");
        int sum = mropeSection.stream().mapToInt(Integer::intValue).sum();
        if (mropeSection.size() != 3 || sum * 2 != hidden / heads)
            throw new IllegalArgumentException("mrope_section " + mropeSection + " must have 3 entries summing to head_dim/2 = " + hidden / heads / 2);
        if (vision.outHidden() != hidden)
            throw new IllegalArgumentException("vision out_hidden_size " + vision.outHidden() + " must equal hidden_size " + hidden);
    }

    /** The sizes of a snapshot's config.json. */
    public static ModelDims of(org.leverplus.vlm.Qwen25VlConfig c) {
        org.leverplus.vlm.Qwen25VlConfig.VisionConfig v = c.vision();
        return new ModelDims(c.hiddenSize(), c.intermediateSize(), c.numHiddenLayers(), c.numAttentionHeads(), c.numKeyValueHeads(),
                c.rmsNormEps(), c.ropeTheta(), c.mropeSection(), c.vocabSize(), c.tieWordEmbeddings(), c.eosTokenIds(), c.imageTokenId(),
                c.visionStartTokenId(),
                new Vision(v.depth(), v.hiddenSize(), v.intermediateSize(), v.numHeads(), v.outHiddenSize(), v.patchSize(),
                        v.temporalPatchSize(), v.spatialMergeSize(), v.windowSize(), v.fullattBlockIndexes(), v.inChannels()));
    }

    public int headDim() { return hidden / heads; }

    public int kvDim() { return kvHeads * headDim(); }

    /**
     * Vision tower sizes.
     *
     * @param depth        blocks
     * @param hidden       width
     * @param intermediate SwiGLU width
     * @param heads        attention heads
     * @param outHidden    merger output width (= text hidden)
     * @param patchSize    patch side in pixels
     * @param temporalPatchSize frames per patch
     * @param mergeSize    spatial merge (2: 2x2 patches per LLM token)
     * @param windowSize   window side in pixels
     * @param fullAttentionBlocks blocks that attend over the whole image
     * @param inChannels   image channels
     */
    public record Vision(int depth, int hidden, int intermediate, int heads, int outHidden, int patchSize, int temporalPatchSize,
                         int mergeSize, int windowSize, List<Integer> fullAttentionBlocks, int inChannels) {
        public Vision {
            fullAttentionBlocks = List.copyOf(fullAttentionBlocks);
            if (hidden % heads != 0 || (hidden / heads) % 4 != 0)
                throw new IllegalArgumentException("vision hidden " + hidden + " / heads " + heads + " must give a head_dim divisible by 4");
            if (windowSize % (mergeSize * patchSize) != 0)
                throw new IllegalArgumentException("vision window_size " + windowSize + " must be a multiple of merge*patch = " + mergeSize * patchSize);
        }

        public int headDim() { return hidden / heads; }

        /** Values per flattened patch row: channels x frames x patch x patch (1176). */
        public int patchDim() { return inChannels * temporalPatchSize * patchSize * patchSize; }

        /** Patches per LLM token (4). */
        public int mergeUnit() { return mergeSize * mergeSize; }

        /** Window side in merged units (4 for the 3B model). */
        public int windowUnits() { return windowSize / mergeSize / patchSize; }
    }
}
