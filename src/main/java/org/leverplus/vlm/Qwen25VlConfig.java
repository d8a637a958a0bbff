package org.leverplus.vlm;

import org.leverplus.hf.ConfigJson;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * The Qwen2.5-VL architecture as read once from a snapshot's {@code config.json}. Nothing else in Lever re-reads
 * that file.
 *
 * <p>Two layouts are accepted. The published 3B snapshot is <em>flat</em>: text-decoder keys sit at the top level
 * next to {@code vision_config}. Newer transformers write a <em>nested</em> file with {@code text_config}. Rope
 * settings come either from {@code rope_scaling {type: mrope, mrope_section}} or from the v5
 * {@code rope_parameters {rope_type, mrope_section, rope_theta}}, and {@code rope_theta} may also sit at the top
 * level. Architecture sizes are required: the config-class defaults are not the 3B values, so a missing size is an
 * error rather than a silent default. Token ids default to the Qwen2.5-VL ids when absent, as the HF config does.
 *
 * <p>The compact constructor checks every invariant the model code relies on, so a constructed config is usable.
 *
 * @param modelType              {@code model_type}, e.g. {@code qwen2_5_vl}
 * @param hiddenSize             text hidden size (2048 for 3B)
 * @param intermediateSize       text MLP width (11008)
 * @param numHiddenLayers        decoder layers (36)
 * @param numAttentionHeads      query heads (16)
 * @param numKeyValueHeads       key/value heads (2)
 * @param hiddenAct              text activation ({@code silu})
 * @param rmsNormEps             text RMSNorm epsilon (1e-6)
 * @param ropeTheta              text rope base (1e6)
 * @param mropeSection           frequencies per axis (t, h, w), summing to {@code headDim()/2} ([16, 24, 24])
 * @param maxPositionEmbeddings  {@code max_position_embeddings}
 * @param vocabSize              embedding rows (151936; the tokenizer uses fewer)
 * @param tieWordEmbeddings      whether {@code lm_head} is the embedding matrix (true for 3B, no lm_head.weight)
 * @param torchDtype             {@code torch_dtype}/{@code dtype} as written, e.g. {@code bfloat16}; may be null
 * @param bosTokenId             {@code <|endoftext|>} 151643
 * @param eosTokenIds            {@code eos_token_id}, one or more ids (151645)
 * @param imageTokenId           {@code <|image_pad|>} 151655
 * @param videoTokenId           {@code <|video_pad|>} 151656
 * @param visionStartTokenId     {@code <|vision_start|>} 151652
 * @param visionEndTokenId       {@code <|vision_end|>} 151653
 * @param vision                 the vision tower
 */
public record Qwen25VlConfig(
        String modelType,
        int hiddenSize,
        int intermediateSize,
        int numHiddenLayers,
        int numAttentionHeads,
        int numKeyValueHeads,
        String hiddenAct,
        double rmsNormEps,
        double ropeTheta,
        List<Integer> mropeSection,
        int maxPositionEmbeddings,
        int vocabSize,
        boolean tieWordEmbeddings,
        String torchDtype,
        int bosTokenId,
        List<Integer> eosTokenIds,
        int imageTokenId,
        int videoTokenId,
        int visionStartTokenId,
        int visionEndTokenId,
        VisionConfig vision) {

    /** The canonical file name inside a snapshot. */
    public static final String FILE = "config.json";

    public Qwen25VlConfig {
        Objects.requireNonNull(vision, "vision");
        mropeSection = List.copyOf(mropeSection);
        eosTokenIds = List.copyOf(eosTokenIds);
        positive("hidden_size", hiddenSize);
        positive("intermediate_size", intermediateSize);
        positive("num_hidden_layers", numHiddenLayers);
        positive("num_attention_heads", numAttentionHeads);
        positive("num_key_value_heads", numKeyValueHeads);
        positive("vocab_size", vocabSize);
        positive("max_position_embeddings", maxPositionEmbeddings);
        if (hiddenSize % numAttentionHeads != 0)
            throw new IllegalArgumentException("hidden_size " + hiddenSize + " must be divisible by num_attention_heads " + numAttentionHeads);
        if (numAttentionHeads % numKeyValueHeads != 0)
            throw new IllegalArgumentException("num_attention_heads " + numAttentionHeads + " must be divisible by num_key_value_heads " + numKeyValueHeads);
        int headDim = hiddenSize / numAttentionHeads;
        if (headDim % 2 != 0) throw new IllegalArgumentException("head_dim " + headDim + " must be even for rotary embeddings");
        if (mropeSection.size() != 3)
            throw new IllegalArgumentException("mrope_section must have 3 entries (t, h, w) but has " + mropeSection);
        int sum = 0;
        for (int s : mropeSection) {
            if (s < 0) throw new IllegalArgumentException("mrope_section entries must be >= 0 but found " + mropeSection);
            sum += s;
        }
        if (sum * 2 != headDim)
            throw new IllegalArgumentException("mrope_section " + mropeSection + " sums to " + sum + " but head_dim/2 is " + headDim / 2);
        if (!(rmsNormEps > 0)) throw new IllegalArgumentException("rms_norm_eps must be > 0 but is " + rmsNormEps);
        if (!(ropeTheta > 0)) throw new IllegalArgumentException("rope_theta must be > 0 but is " + ropeTheta);
        if (eosTokenIds.isEmpty()) throw new IllegalArgumentException("eos_token_id must name at least one id");
        tokenId("bos_token_id", bosTokenId, vocabSize);
        for (int e : eosTokenIds) tokenId("eos_token_id", e, vocabSize);
        tokenId("image_token_id", imageTokenId, vocabSize);
        tokenId("video_token_id", videoTokenId, vocabSize);
        tokenId("vision_start_token_id", visionStartTokenId, vocabSize);
        tokenId("vision_end_token_id", visionEndTokenId, vocabSize);
        if (vision.outHiddenSize() != hiddenSize)
            throw new IllegalArgumentException("vision_config.out_hidden_size " + vision.outHiddenSize() + " must equal hidden_size " + hiddenSize);
    }

    /** Per-head width of the text attention (128 for 3B). */
    public int headDim() { return hiddenSize / numAttentionHeads; }

    /** Query heads served by each key/value head (8 for 3B). */
    public int kvGroups() { return numAttentionHeads / numKeyValueHeads; }

    /** Width of the key/value projections (256 for 3B). */
    public int kvDim() { return numKeyValueHeads * headDim(); }

    /** First eos id ({@code <|im_end|>} for the instruct model). */
    public int eosTokenId() { return eosTokenIds.get(0); }

    /** Reads {@code config.json}; missing or inconsistent keys are errors naming the file and key. */
    public static Qwen25VlConfig read(Path configJson) throws IOException {
        ConfigJson top = ConfigJson.read(configJson);
        try {
            return parse(top);
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().startsWith(configJson.toString())) throw e;
            throw new IllegalArgumentException(configJson + ": " + e.getMessage(), e);
        }
    }

    static Qwen25VlConfig parse(ConfigJson top) {
        ConfigJson nested = top.child("text_config");
        // Text keys: text_config first (nested layout), then the top level (flat layout).
        Keys text = nested == null ? new Keys(top) : new Keys(nested, top);
        // Token ids are top-level in both layouts; some writers repeat them in text_config.
        Keys ids = nested == null ? new Keys(top) : new Keys(top, nested);

        String modelType = top.optString("model_type", "qwen2_5_vl");
        ConfigJson rope = text.object("rope_parameters");
        if (rope == null) rope = text.object("rope_scaling");
        List<Integer> section;
        double theta;
        if (rope != null) {
            String type = rope.optString("rope_type", rope.optString("type", "default"));
            // v5 configs rewrite "mrope" to "default"; both mean plain (unscaled) multimodal rope here.
            if (!type.equals("mrope") && !type.equals("default"))
                throw new IllegalArgumentException(rope.file() + ": rope type \"" + type + "\" is not supported (expected mrope or default)");
            if (!rope.has("mrope_section")) throw rope.missing("mrope_section");
            section = rope.optIntList("mrope_section", List.of());
            theta = rope.has("rope_theta") ? rope.optDouble("rope_theta", 0) : text.requireDouble("rope_theta");
        } else {
            throw new IllegalArgumentException(top.file() + ": missing \"rope_scaling\" or \"rope_parameters\" with mrope_section");
        }

        ConfigJson v = top.child("vision_config");
        if (v == null) throw top.missing("vision_config");
        VisionConfig vision = VisionConfig.parse(v);

        return new Qwen25VlConfig(
                modelType,
                text.requireInt("hidden_size"),
                text.requireInt("intermediate_size"),
                text.requireInt("num_hidden_layers"),
                text.requireInt("num_attention_heads"),
                text.requireInt("num_key_value_heads"),
                text.optString("hidden_act", "silu"),
                text.requireDouble("rms_norm_eps"),
                theta,
                section,
                text.optInt("max_position_embeddings", 128000),
                text.requireInt("vocab_size"),
                ids.optBool("tie_word_embeddings", false),
                ids.optString("torch_dtype", ids.optString("dtype", null)),
                ids.optInt("bos_token_id", 151643),
                ids.optIntList("eos_token_id", List.of(151645)),
                ids.optInt("image_token_id", 151655),
                ids.optInt("video_token_id", 151656),
                ids.optInt("vision_start_token_id", 151652),
                ids.optInt("vision_end_token_id", 151653),
                vision);
    }

    /**
     * The vision tower's configuration ({@code vision_config}).
     *
     * @param depth               transformer blocks (32)
     * @param hiddenSize          width (1280)
     * @param intermediateSize    MLP width (3420)
     * @param numHeads            attention heads (16)
     * @param outHiddenSize       merger output width, equal to the text hidden size (2048)
     * @param patchSize           spatial patch size in pixels (14)
     * @param temporalPatchSize   frames per patch (2; a still image is repeated)
     * @param spatialMergeSize    patches merged per side into one LLM token (2)
     * @param windowSize          window attention size in pixels (112)
     * @param fullattBlockIndexes blocks with full (per-image) attention ([7, 15, 23, 31])
     * @param inChannels          image channels ({@code in_chans} or {@code in_channels}; 3)
     * @param hiddenAct           MLP activation ({@code silu})
     * @param tokensPerSecond     temporal position scale for video (2)
     */
    public record VisionConfig(
            int depth,
            int hiddenSize,
            int intermediateSize,
            int numHeads,
            int outHiddenSize,
            int patchSize,
            int temporalPatchSize,
            int spatialMergeSize,
            int windowSize,
            List<Integer> fullattBlockIndexes,
            int inChannels,
            String hiddenAct,
            int tokensPerSecond) {

        public VisionConfig {
            fullattBlockIndexes = List.copyOf(fullattBlockIndexes);
            positive("vision_config.depth", depth);
            positive("vision_config.hidden_size", hiddenSize);
            positive("vision_config.intermediate_size", intermediateSize);
            positive("vision_config.num_heads", numHeads);
            positive("vision_config.out_hidden_size", outHiddenSize);
            positive("vision_config.patch_size", patchSize);
            positive("vision_config.temporal_patch_size", temporalPatchSize);
            positive("vision_config.spatial_merge_size", spatialMergeSize);
            positive("vision_config.window_size", windowSize);
            positive("vision_config.in_chans", inChannels);
            if (hiddenSize % numHeads != 0)
                throw new IllegalArgumentException("vision_config.hidden_size " + hiddenSize + " must be divisible by num_heads " + numHeads);
            if ((hiddenSize / numHeads) % 4 != 0)
                throw new IllegalArgumentException("vision head_dim " + hiddenSize / numHeads + " must be divisible by 4 (2-D rotary over half the head)");
            if (windowSize % (spatialMergeSize * patchSize) != 0)
                throw new IllegalArgumentException("vision_config.window_size " + windowSize + " must be a multiple of spatial_merge_size*patch_size = "
                        + spatialMergeSize * patchSize);
            for (int b : fullattBlockIndexes)
                if (b < 0 || b >= depth)
                    throw new IllegalArgumentException("vision_config.fullatt_block_indexes entry " + b + " is outside [0, " + depth + ")");
        }

        /** Per-head width (80 for 3B). */
        public int headDim() { return hiddenSize / numHeads; }

        /** Pixels per side of one LLM token (28). */
        public int factor() { return patchSize * spatialMergeSize; }

        /** Values in one flattened patch row: {@code in_chans * temporal * patch * patch} (1176). */
        public int patchRowSize() { return inChannels * temporalPatchSize * patchSize * patchSize; }

        /** Patches per LLM token: {@code spatial_merge_size^2} (4). */
        public int mergeUnit() { return spatialMergeSize * spatialMergeSize; }

        /** Window side in merged units: {@code window_size / spatial_merge_size / patch_size} (4). */
        public int mergedWindowSize() { return windowSize / spatialMergeSize / patchSize; }

        /** Width of the merger's hidden layer: {@code hidden_size * merge_unit} (5120). */
        public int mergerHiddenSize() { return hiddenSize * mergeUnit(); }

        static VisionConfig parse(ConfigJson v) {
            int inChans = v.has("in_chans") ? v.requireInt("in_chans") : v.optInt("in_channels", 3);
            return new VisionConfig(
                    v.requireInt("depth"),
                    v.requireInt("hidden_size"),
                    v.requireInt("intermediate_size"),
                    v.requireInt("num_heads"),
                    v.requireInt("out_hidden_size"),
                    v.optInt("patch_size", v.optInt("spatial_patch_size", 14)),
                    v.optInt("temporal_patch_size", 2),
                    v.optInt("spatial_merge_size", 2),
                    v.requireInt("window_size"),
                    v.optIntList("fullatt_block_indexes", List.of()),
                    inChans,
                    v.optString("hidden_act", "silu"),
                    v.optInt("tokens_per_second", 2));
        }
    }

    private static void positive(String key, int v) {
        if (v <= 0) throw new IllegalArgumentException(key + " must be > 0 but is " + v);
    }

    private static void tokenId(String key, int id, int vocab) {
        if (id < 0 || id >= vocab) throw new IllegalArgumentException(key + " " + id + " is outside the vocabulary [0, " + vocab + ")");
    }

    /** Looks a key up in several JSON objects in order; errors name the first (primary) object's file. */
    private static final class Keys {
        private final List<ConfigJson> order = new ArrayList<>();

        Keys(ConfigJson... objs) { order.addAll(List.of(objs)); }

        private ConfigJson find(String key) {
            for (ConfigJson c : order) if (c.has(key)) return c;
            return null;
        }

        ConfigJson object(String key) {
            ConfigJson c = find(key);
            return c == null ? null : c.child(key);
        }

        int requireInt(String key) {
            ConfigJson c = find(key);
            if (c == null) throw order.get(0).missing(key);
            return c.requireInt(key);
        }

        int optInt(String key, int fallback) {
            ConfigJson c = find(key);
            return c == null ? fallback : c.requireInt(key);
        }

        double requireDouble(String key) {
            ConfigJson c = find(key);
            if (c == null) throw order.get(0).missing(key);
            return c.requireDouble(key);
        }

        boolean optBool(String key, boolean fallback) {
            ConfigJson c = find(key);
            return c == null ? fallback : c.optBool(key, fallback);
        }

        String optString(String key, String fallback) {
            ConfigJson c = find(key);
            return c == null ? fallback : c.optString(key, fallback);
        }

        List<Integer> optIntList(String key, List<Integer> fallback) {
            ConfigJson c = find(key);
            return c == null ? fallback : c.optIntList(key, fallback);
        }
    }
}
