package org.leverplus.vlm.model;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.leverplus.io.Safetensors;
import org.leverplus.torch.TensorScope;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a valid Qwen2.5-VL snapshot with random weights for tests, demos and benchmarks: config.json (flat for the
 * legacy key layout, nested text_config + rope_parameters for the new one), generation_config.json,
 * preprocessor_config.json (the 3B snapshot's values) and one bf16 model.safetensors. Weights are scaled so logits are far from flat (embedding std 1, linears 1/sqrt(fan_in), residual
 * outputs x4, norms 1 +- 0.1, biases 0.1): greedy decoding then has clear top-1 margins.
 */
public final class TinySnapshotWriter {
    /** Special-token ids written into config.json. */
    public record SpecialIds(int endOfText, int imStart, int imEnd, int visionStart, int visionEnd, int imagePad, int videoPad) {
        /** The real Qwen2.5-VL ids (vocabulary 151936), so real tokenizer files work with the snapshot. */
        public static final SpecialIds REAL = new SpecialIds(151643, 151644, 151645, 151652, 151653, 151655, 151656);

        /** Ids 2000..2007 for compact vocabularies (the golden fixture and the benchmark preset use them). */
        public static final SpecialIds COMPACT = new SpecialIds(2000, 2001, 2002, 2003, 2004, 2006, 2007);
    }

    private static final int IM_END = 151645, VISION_START = 151652, IMAGE_PAD = 151655;

    /** Which key layout to write. */
    public enum Layout { LEGACY, NEW }

    private TinySnapshotWriter() {}

    /** The spec's tiny config (qwen25vl-engine.md 2.2): hidden 32, 2 layers, vision depth 4 with windows. */
    public static ModelDims tiny() {
        return new ModelDims(32, 64, 2, 4, 2, 1e-6, 1e6, List.of(2, 1, 1), 151936, true, List.of(IM_END), IMAGE_PAD, VISION_START,
                new ModelDims.Vision(4, 32, 48, 2, 32, 14, 2, 2, 56, List.of(1, 3), 3));
    }

    /**
     * A small but 3B-shaped config for CPU benchmarks, with the 3B model's cost proportions: text hidden 256 (8 heads x
     * 32, 2 KV heads, MLP x5.4), 5 layers; vision hidden 128 (4 heads x 32), 6 blocks with 112-pixel windows and 2
     * full-attention blocks, merge 2. Per LLM image token the vision tower costs 0.93x the decoder (3B: 0.91x) and the
     * lm_head row 0.086x (3B: 0.11x), hence the compact 2048-token vocabulary (ids {@link SpecialIds#COMPACT}).
     */
    public static ModelDims bench() {
        return new ModelDims(256, 1376, 5, 8, 2, 1e-6, 1e6, List.of(4, 6, 6), 2048, true, List.of(2002), 2006, 2003,
                new ModelDims.Vision(6, 128, 344, 4, 256, 14, 2, 2, 112, List.of(2, 5), 3));
    }

    /**
     * {@link #bench()} with Qwen's real 151,936-token vocabulary and special ids, so that Lever-Plus-level prompts made
     * with the real tokenizer run on it (SFT data benchmarks). Answer scoring evaluates the output projection only at
     * answer positions, so the larger vocabulary adds little compute there.
     */
    public static ModelDims benchRealVocab() {
        ModelDims b = bench();
        return new ModelDims(256, 1376, 5, 8, 2, 1e-6, 1e6, List.of(4, 6, 6), 151936, true, List.of(IM_END), IMAGE_PAD, VISION_START, b.vision());
    }

    /** The ids that go with {@code d}: compact when the vocabulary is too small for the real ones. */
    public static SpecialIds idsFor(ModelDims d) {
        return d.vocab() > SpecialIds.REAL.videoPad() ? SpecialIds.REAL : SpecialIds.COMPACT;
    }

    /** Writes the snapshot into {@code dir} (created; files replaced atomically). */
    public static void write(Path dir, ModelDims d, Layout layout, long seed, Path tokenizerJson) throws IOException {
        if (tokenizerJson != null && idsFor(d) == SpecialIds.COMPACT)
            throw new IllegalArgumentException("a tokenizer cannot go with this snapshot: its vocabulary has " + d.vocab()
                    + " tokens (compact special ids 2000-2007), a Qwen tokenizer needs 151,936; use token-level requests");
        Files.createDirectories(dir);
        try (TensorScope s = TensorScope.open()) {
            Generator gen = torch.make_generator_cpu(seed);
            Map<String, Tensor> w = new LinkedHashMap<>();
            weights(d, gen, w);
            Map<String, Tensor> stored = new LinkedHashMap<>();
            for (Map.Entry<String, Tensor> e : w.entrySet())
                stored.put(layout == Layout.NEW ? newKey(e.getKey()) : e.getKey(), e.getValue().to(ScalarType.BFloat16).contiguous());
            Safetensors.write(dir.resolve("model.safetensors"), stored, Map.of("format", "pt"));
        }
        ObjectMapper json = new ObjectMapper();
        SpecialIds ids = idsFor(d);
        if (d.imageTokenId() != ids.imagePad() || d.visionStartId() != ids.visionStart() || !d.eosIds().equals(List.of(ids.imEnd())))
            throw new IllegalArgumentException("dims' special ids must be " + ids + " for vocabulary " + d.vocab());
        writeJson(json, dir.resolve("config.json"), layout == Layout.NEW ? nestedConfig(json, d, ids) : flatConfig(json, d, ids));
        ObjectNode g = json.createObjectNode();
        g.put("bos_token_id", ids.endOfText());
        g.putArray("eos_token_id").add(ids.imEnd()).add(ids.endOfText());
        g.put("pad_token_id", ids.endOfText());
        g.put("do_sample", false);
        writeJson(json, dir.resolve("generation_config.json"), g);
        // the 3B snapshot's image preprocessing (qwen-vl-utils pixel limits, CLIP mean/std, bicubic)
        ObjectNode pre = json.createObjectNode();
        pre.put("image_processor_type", "Qwen2VLImageProcessor");
        pre.put("min_pixels", 3136);
        pre.put("max_pixels", 12845056);
        pre.put("patch_size", d.vision().patchSize());
        pre.put("temporal_patch_size", d.vision().temporalPatchSize());
        pre.put("merge_size", d.vision().mergeSize());
        pre.putArray("image_mean").add(0.48145466).add(0.4578275).add(0.40821073);
        pre.putArray("image_std").add(0.26862954).add(0.26130258).add(0.27577711);
        pre.put("do_rescale", true);
        pre.put("rescale_factor", 1.0 / 255);
        pre.put("do_normalize", true);
        pre.put("resample", 3);
        writeJson(json, dir.resolve("preprocessor_config.json"), pre);
        if (tokenizerJson != null) Files.copy(tokenizerJson, dir.resolve("tokenizer.json"), StandardCopyOption.REPLACE_EXISTING);
    }

    static String newKey(String k) {
        if (k.startsWith("visual.")) return "model." + k;
        if (k.startsWith("model.")) return "model.language_model." + k.substring("model.".length());
        return k;
    }

    private static void weights(ModelDims d, Generator gen, Map<String, Tensor> w) {
        ModelDims.Vision v = d.vision();
        long dv = v.hidden(), g = dv * v.mergeUnit();
        w.put("visual.patch_embed.proj.weight", lin(gen, dv, v.patchDim(), 1).reshape(dv, v.inChannels(), v.temporalPatchSize(), v.patchSize(), v.patchSize()));
        for (int i = 0; i < v.depth(); i++) {
            String p = "visual.blocks." + i + ".";
            w.put(p + "norm1.weight", norm(gen, dv));
            w.put(p + "norm2.weight", norm(gen, dv));
            w.put(p + "attn.qkv.weight", lin(gen, 3 * dv, dv, 1));
            w.put(p + "attn.qkv.bias", bias(gen, 3 * dv));
            w.put(p + "attn.proj.weight", lin(gen, dv, dv, 1));
            w.put(p + "attn.proj.bias", bias(gen, dv));
            for (String m : new String[]{"gate_proj", "up_proj"}) {
                w.put(p + "mlp." + m + ".weight", lin(gen, v.intermediate(), dv, 1));
                w.put(p + "mlp." + m + ".bias", bias(gen, v.intermediate()));
            }
            w.put(p + "mlp.down_proj.weight", lin(gen, dv, v.intermediate(), 1));
            w.put(p + "mlp.down_proj.bias", bias(gen, dv));
        }
        w.put("visual.merger.ln_q.weight", norm(gen, dv));
        w.put("visual.merger.mlp.0.weight", lin(gen, g, g, 1));
        w.put("visual.merger.mlp.0.bias", bias(gen, g));
        w.put("visual.merger.mlp.2.weight", lin(gen, v.outHidden(), g, 1));
        w.put("visual.merger.mlp.2.bias", bias(gen, v.outHidden()));
        long h = d.hidden(), kv = d.kvDim();
        w.put("model.embed_tokens.weight", torch.randn(new long[]{d.vocab(), h}, new org.bytedeco.pytorch.GeneratorOptional(gen), new TensorOptions(ScalarType.Float)));
        for (int i = 0; i < d.layers(); i++) {
            String p = "model.layers." + i + ".";
            w.put(p + "input_layernorm.weight", norm(gen, h));
            w.put(p + "post_attention_layernorm.weight", norm(gen, h));
            w.put(p + "self_attn.q_proj.weight", lin(gen, h, h, 1));
            w.put(p + "self_attn.q_proj.bias", bias(gen, h));
            w.put(p + "self_attn.k_proj.weight", lin(gen, kv, h, 1));
            w.put(p + "self_attn.k_proj.bias", bias(gen, kv));
            w.put(p + "self_attn.v_proj.weight", lin(gen, kv, h, 1));
            w.put(p + "self_attn.v_proj.bias", bias(gen, kv));
            // larger residual updates, so the tied lm_head does not just echo the last input token
            w.put(p + "self_attn.o_proj.weight", lin(gen, h, h, 4));
            w.put(p + "mlp.gate_proj.weight", lin(gen, d.intermediate(), h, 1));
            w.put(p + "mlp.up_proj.weight", lin(gen, d.intermediate(), h, 1));
            w.put(p + "mlp.down_proj.weight", lin(gen, h, d.intermediate(), 4));
        }
        w.put("model.norm.weight", norm(gen, h));
        if (!d.tiedEmbeddings()) w.put("lm_head.weight", lin(gen, d.vocab(), h, 1));
    }

    private static Tensor lin(Generator gen, long out, long in, double scale) {
        return torch.randn(new long[]{out, in}, new org.bytedeco.pytorch.GeneratorOptional(gen), new TensorOptions(ScalarType.Float)).mul(Tensors.scalar(scale / Math.sqrt(in)));
    }

    private static Tensor bias(Generator gen, long n) {
        return torch.randn(new long[]{n}, new org.bytedeco.pytorch.GeneratorOptional(gen), new TensorOptions(ScalarType.Float)).mul(Tensors.scalar(0.1));
    }

    private static Tensor norm(Generator gen, long n) {
        return torch.randn(new long[]{n}, new org.bytedeco.pytorch.GeneratorOptional(gen), new TensorOptions(ScalarType.Float)).mul(Tensors.scalar(0.1)).add(Tensors.scalar(1.0));
    }

    private static ObjectNode flatConfig(ObjectMapper json, ModelDims d, SpecialIds ids) {
        ObjectNode c = header(json);
        text(c, d);
        ObjectNode rope = c.putObject("rope_scaling");
        rope.put("type", "mrope");
        ints(rope.putArray("mrope_section"), d.mropeSection());
        c.put("rope_theta", d.ropeTheta());
        ids(c, ids);
        c.put("torch_dtype", "bfloat16");
        vision(c.putObject("vision_config"), d.vision(), "in_chans");
        return c;
    }

    private static ObjectNode nestedConfig(ObjectMapper json, ModelDims d, SpecialIds ids) {
        ObjectNode c = header(json);
        ObjectNode t = c.putObject("text_config");
        text(t, d);
        ObjectNode rope = t.putObject("rope_parameters");
        rope.put("rope_type", "default");
        ints(rope.putArray("mrope_section"), d.mropeSection());
        rope.put("rope_theta", d.ropeTheta());
        t.put("dtype", "bfloat16");
        ids(c, ids);
        c.put("tie_word_embeddings", d.tiedEmbeddings());
        c.put("dtype", "bfloat16");
        vision(c.putObject("vision_config"), d.vision(), "in_channels");
        return c;
    }

    private static ObjectNode header(ObjectMapper json) {
        ObjectNode c = json.createObjectNode();
        c.putArray("architectures").add("Qwen2_5_VLForConditionalGeneration");
        c.put("model_type", "qwen2_5_vl");
        return c;
    }

    private static void text(ObjectNode c, ModelDims d) {
        c.put("hidden_size", d.hidden());
        c.put("intermediate_size", d.intermediate());
        c.put("num_hidden_layers", d.layers());
        c.put("num_attention_heads", d.heads());
        c.put("num_key_value_heads", d.kvHeads());
        c.put("hidden_act", "silu");
        c.put("rms_norm_eps", d.rmsEps());
        c.put("max_position_embeddings", 32768);
        c.put("vocab_size", d.vocab());
        c.put("tie_word_embeddings", d.tiedEmbeddings());
        c.put("use_sliding_window", false);
    }

    private static void ids(ObjectNode c, SpecialIds ids) {
        c.put("bos_token_id", ids.endOfText());
        c.put("eos_token_id", ids.imEnd());
        c.put("image_token_id", ids.imagePad());
        c.put("video_token_id", ids.videoPad());
        c.put("vision_start_token_id", ids.visionStart());
        c.put("vision_end_token_id", ids.visionEnd());
    }

    private static void vision(ObjectNode c, ModelDims.Vision v, String channelsKey) {
        c.put("depth", v.depth());
        c.put("hidden_size", v.hidden());
        c.put("intermediate_size", v.intermediate());
        c.put("num_heads", v.heads());
        c.put("out_hidden_size", v.outHidden());
        c.put("patch_size", v.patchSize());
        c.put("temporal_patch_size", v.temporalPatchSize());
        c.put("spatial_merge_size", v.mergeSize());
        c.put("window_size", v.windowSize());
        ints(c.putArray("fullatt_block_indexes"), v.fullAttentionBlocks());
        c.put(channelsKey, v.inChannels());
        c.put("hidden_act", "silu");
        c.put("tokens_per_second", 2);
    }

    private static void ints(ArrayNode a, List<Integer> v) {
        for (int x : v) a.add(x);
    }

    private static void writeJson(ObjectMapper json, Path file, ObjectNode node) throws IOException {
        org.leverplus.io.AtomicOutput.writeBytes(file, json.writerWithDefaultPrettyPrinter().writeValueAsBytes(node), true);
    }
}
