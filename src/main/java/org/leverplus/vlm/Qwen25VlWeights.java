package org.leverplus.vlm;

import org.bytedeco.pytorch.Tensor;
import org.leverplus.hf.MatchReport;
import org.leverplus.hf.SnapshotWeights;
import org.leverplus.hf.WeightIndex;

import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The canonical names and shapes of every Qwen2.5-VL weight a config implies, in module order (vision tower, then
 * text decoder). {@code lm_head.weight} is required only when the embeddings are not tied; when tied it is allowed
 * but not needed (the 3B checkpoint has none).
 */
public final class Qwen25VlWeights {
    private Qwen25VlWeights() {}

    /** The embedding matrix; also the output projection when {@code tie_word_embeddings}. */
    public static final String EMBED_TOKENS = "model.embed_tokens.weight";
    /** The untied output projection. */
    public static final String LM_HEAD = "lm_head.weight";

    /** Canonical name to shape, for every required tensor. */
    public static Map<String, long[]> of(Qwen25VlConfig c) {
        Map<String, long[]> m = new LinkedHashMap<>();
        Qwen25VlConfig.VisionConfig v = c.vision();
        long vh = v.hiddenSize(), vi = v.intermediateSize(), mh = v.mergerHiddenSize();
        m.put("visual.patch_embed.proj.weight", new long[]{vh, v.inChannels(), v.temporalPatchSize(), v.patchSize(), v.patchSize()});
        for (int i = 0; i < v.depth(); i++) {
            String p = "visual.blocks." + i + ".";
            m.put(p + "norm1.weight", new long[]{vh});
            m.put(p + "norm2.weight", new long[]{vh});
            m.put(p + "attn.qkv.weight", new long[]{3 * vh, vh});
            m.put(p + "attn.qkv.bias", new long[]{3 * vh});
            m.put(p + "attn.proj.weight", new long[]{vh, vh});
            m.put(p + "attn.proj.bias", new long[]{vh});
            m.put(p + "mlp.gate_proj.weight", new long[]{vi, vh});
            m.put(p + "mlp.gate_proj.bias", new long[]{vi});
            m.put(p + "mlp.up_proj.weight", new long[]{vi, vh});
            m.put(p + "mlp.up_proj.bias", new long[]{vi});
            m.put(p + "mlp.down_proj.weight", new long[]{vh, vi});
            m.put(p + "mlp.down_proj.bias", new long[]{vh});
        }
        m.put("visual.merger.ln_q.weight", new long[]{vh});
        m.put("visual.merger.mlp.0.weight", new long[]{mh, mh});
        m.put("visual.merger.mlp.0.bias", new long[]{mh});
        m.put("visual.merger.mlp.2.weight", new long[]{v.outHiddenSize(), mh});
        m.put("visual.merger.mlp.2.bias", new long[]{v.outHiddenSize()});

        long h = c.hiddenSize(), kv = c.kvDim(), inter = c.intermediateSize();
        m.put(EMBED_TOKENS, new long[]{c.vocabSize(), h});
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            String p = "model.layers." + i + ".";
            m.put(p + "input_layernorm.weight", new long[]{h});
            m.put(p + "post_attention_layernorm.weight", new long[]{h});
            m.put(p + "self_attn.q_proj.weight", new long[]{h, h});
            m.put(p + "self_attn.q_proj.bias", new long[]{h});
            m.put(p + "self_attn.k_proj.weight", new long[]{kv, h});
            m.put(p + "self_attn.k_proj.bias", new long[]{kv});
            m.put(p + "self_attn.v_proj.weight", new long[]{kv, h});
            m.put(p + "self_attn.v_proj.bias", new long[]{kv});
            m.put(p + "self_attn.o_proj.weight", new long[]{h, h});
            m.put(p + "mlp.gate_proj.weight", new long[]{inter, h});
            m.put(p + "mlp.up_proj.weight", new long[]{inter, h});
            m.put(p + "mlp.down_proj.weight", new long[]{h, inter});
        }
        m.put("model.norm.weight", new long[]{h});
        if (!c.tieWordEmbeddings()) m.put(LM_HEAD, new long[]{c.vocabSize(), h});
        return Collections.unmodifiableMap(m);
    }

    /** Tensors a checkpoint may hold beyond {@link #of}: {@code lm_head.weight} when the embeddings are tied (a copy). */
    public static Map<String, long[]> optional(Qwen25VlConfig c) {
        return c.tieWordEmbeddings() ? Map.of(LM_HEAD, new long[]{c.vocabSize(), c.hiddenSize()}) : Map.of();
    }

    /** Compares a snapshot's weights with what the config implies. */
    public static MatchReport match(Qwen25VlConfig c, WeightIndex index) {
        return MatchReport.compare(of(c), optional(c), index);
    }

    /**
     * The output projection: {@code lm_head.weight} when present, else the embedding matrix when the config ties
     * them; an error otherwise.
     */
    public static Tensor lmHead(SnapshotWeights w, Qwen25VlConfig config) {
        if (w.contains(LM_HEAD)) return w.get(LM_HEAD);
        if (config.tieWordEmbeddings()) return w.get(EMBED_TOKENS);
        throw new IllegalArgumentException("lm_head.weight not found in " + w.index().shards() + " and tie_word_embeddings is false");
    }
}
