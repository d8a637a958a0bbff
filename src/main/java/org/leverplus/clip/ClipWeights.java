package org.leverplus.clip;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The names and shapes of every CLIP weight a config implies. {@code CLIPModel}, {@code CLIPTextModelWithProjection}
 * and {@code CLIPVisionModelWithProjection} store the same keys ({@code text_model.*} + {@code text_projection.weight},
 * {@code vision_model.*} + {@code visual_projection.weight}); a single-tower snapshot simply holds one half.
 */
public final class ClipWeights {
    private ClipWeights() {}

    /** Required tensors. */
    public static Map<String, long[]> of(ClipConfig c) {
        Map<String, long[]> m = new LinkedHashMap<>();
        if (c.hasText()) {
            ClipConfig.Text t = c.text();
            long h = t.hiddenSize();
            m.put("text_model.embeddings.token_embedding.weight", new long[]{t.vocabSize(), h});
            m.put("text_model.embeddings.position_embedding.weight", new long[]{t.maxPositions(), h});
            layers(m, "text_model", h, t.intermediateSize(), t.layers());
            m.put("text_model.final_layer_norm.weight", new long[]{h});
            m.put("text_model.final_layer_norm.bias", new long[]{h});
            m.put("text_projection.weight", new long[]{c.projectionDim(), h});
        }
        if (c.hasVision()) {
            ClipConfig.Vision v = c.vision();
            long h = v.hiddenSize();
            m.put("vision_model.embeddings.class_embedding", new long[]{h});
            m.put("vision_model.embeddings.patch_embedding.weight", new long[]{h, v.channels(), v.patchSize(), v.patchSize()});
            m.put("vision_model.embeddings.position_embedding.weight", new long[]{v.positions(), h});
            m.put("vision_model.pre_layrnorm.weight", new long[]{h});
            m.put("vision_model.pre_layrnorm.bias", new long[]{h});
            layers(m, "vision_model", h, v.intermediateSize(), v.layers());
            m.put("vision_model.post_layernorm.weight", new long[]{h});
            m.put("vision_model.post_layernorm.bias", new long[]{h});
            m.put("visual_projection.weight", new long[]{c.projectionDim(), h});
        }
        return m;
    }

    /**
     * Tensors a checkpoint may hold without Lever using them: {@code logit_scale} (full model), and the
     * {@code position_ids} buffers older transformers versions saved.
     */
    public static Map<String, long[]> optional(ClipConfig c) {
        Map<String, long[]> m = new LinkedHashMap<>();
        if (c.hasText() && c.hasVision()) m.put("logit_scale", new long[]{});
        if (c.hasText()) m.put("text_model.embeddings.position_ids", new long[]{1, c.text().maxPositions()});
        if (c.hasVision()) m.put("vision_model.embeddings.position_ids", new long[]{1, c.vision().positions()});
        return m;
    }

    private static void layers(Map<String, long[]> m, String tower, long h, long inter, int n) {
        for (int i = 0; i < n; i++) {
            String p = tower + ".encoder.layers." + i + ".";
            for (String proj : new String[]{"q_proj", "k_proj", "v_proj", "out_proj"}) {
                m.put(p + "self_attn." + proj + ".weight", new long[]{h, h});
                m.put(p + "self_attn." + proj + ".bias", new long[]{h});
            }
            m.put(p + "layer_norm1.weight", new long[]{h});
            m.put(p + "layer_norm1.bias", new long[]{h});
            m.put(p + "mlp.fc1.weight", new long[]{inter, h});
            m.put(p + "mlp.fc1.bias", new long[]{inter});
            m.put(p + "mlp.fc2.weight", new long[]{h, inter});
            m.put(p + "mlp.fc2.bias", new long[]{h});
            m.put(p + "layer_norm2.weight", new long[]{h});
            m.put(p + "layer_norm2.bias", new long[]{h});
        }
    }
}
