package org.leverplus.vlm;

import org.leverplus.hf.*;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * Writes tiny Qwen2.5-VL snapshots for tests, in pure Java (no LibTorch): the fixture config of the engine notes
 * (hidden 32, 2 layers, vision depth 4) in the flat or nested layout, and weights with seeded random values in the
 * legacy or nested key layout, optionally sharded with an index file.
 */
public final class TinySnapshots {
    private static final ObjectMapper M = new ObjectMapper();

    private TinySnapshots() {}

    /** The tiny config as the flat (published 3B) layout. */
    public static ObjectNode flatConfig() {
        ObjectNode c = M.createObjectNode();
        c.putArray("architectures").add("Qwen2_5_VLForConditionalGeneration");
        c.put("model_type", "qwen2_5_vl");
        c.put("hidden_size", 32).put("intermediate_size", 64).put("num_hidden_layers", 2)
                .put("num_attention_heads", 4).put("num_key_value_heads", 2).put("hidden_act", "silu")
                .put("rms_norm_eps", 1e-6).put("rope_theta", 1000000.0).put("max_position_embeddings", 4096);
        ObjectNode rs = c.putObject("rope_scaling");
        rs.put("type", "mrope");
        rs.putArray("mrope_section").add(2).add(1).add(1);
        c.put("vocab_size", 151936).put("tie_word_embeddings", true).put("use_sliding_window", false)
                .put("bos_token_id", 151643).put("eos_token_id", 151645).put("image_token_id", 151655)
                .put("video_token_id", 151656).put("vision_start_token_id", 151652).put("vision_end_token_id", 151653)
                .put("torch_dtype", "bfloat16");
        ObjectNode v = c.putObject("vision_config");
        v.put("depth", 4).put("hidden_size", 32).put("intermediate_size", 48).put("num_heads", 2)
                .put("out_hidden_size", 32).put("patch_size", 14).put("temporal_patch_size", 2)
                .put("spatial_merge_size", 2).put("window_size", 56).put("in_chans", 3).put("hidden_act", "silu")
                .put("tokens_per_second", 2);
        v.putArray("fullatt_block_indexes").add(1).add(3);
        return c;
    }

    /** The same config in the transformers-v5 nested layout ({@code text_config}, {@code rope_parameters}). */
    public static ObjectNode nestedConfig() {
        ObjectNode flat = flatConfig();
        ObjectNode c = M.createObjectNode();
        c.set("architectures", flat.get("architectures"));
        c.put("model_type", "qwen2_5_vl");
        for (String k : new String[]{"image_token_id", "video_token_id", "vision_start_token_id", "vision_end_token_id", "tie_word_embeddings"})
            c.set(k, flat.get(k));
        c.put("dtype", "bfloat16");
        ObjectNode t = c.putObject("text_config");
        for (String k : new String[]{"hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
                "num_key_value_heads", "hidden_act", "rms_norm_eps", "max_position_embeddings", "vocab_size",
                "bos_token_id", "eos_token_id"})
            t.set(k, flat.get(k));
        ObjectNode rp = t.putObject("rope_parameters");
        rp.put("rope_type", "default").put("rope_theta", 1000000.0);
        rp.putArray("mrope_section").add(2).add(1).add(1);
        ObjectNode v = ((ObjectNode) flat.get("vision_config")).deepCopy();
        v.remove("in_chans");
        v.put("in_channels", 3);
        c.set("vision_config", v);
        return c;
    }

    /** Writes config.json plus weights for {@code config} in {@code layout}, in {@code shards} files. */
    public static Path write(Path dir, ObjectNode config, WeightLayout layout, int shards, long seed) throws IOException {
        Files.createDirectories(dir);
        writeJson(dir.resolve("config.json"), config);
        Qwen25VlConfig cfg = Qwen25VlConfig.read(dir.resolve("config.json"));
        writeWeights(dir, Qwen25VlWeights.of(cfg), layout, shards, seed);
        return dir;
    }

    public static void writeJson(Path p, Object node) throws IOException {
        Files.writeString(p, M.writerWithDefaultPrettyPrinter().writeValueAsString(node));
    }

    /** Writes bf16 tensors with seeded values ({@link #value}) under the layout's stored names. */
    public static void writeWeights(Path dir, Map<String, long[]> shapes, WeightLayout layout, int shards, long seed) throws IOException {
        Random rnd = new Random(seed);
        String[] names = shapes.keySet().toArray(new String[0]);
        ObjectNode index = M.createObjectNode();
        ObjectNode wm = index.putObject("weight_map");
        index.putObject("metadata").put("total_size", 0);
        int per = (names.length + shards - 1) / shards;
        for (int s = 0; s < shards; s++) {
            String file = shards == 1 ? "model.safetensors" : String.format("model-%05d-of-%05d.safetensors", s + 1, shards);
            Map<String, long[]> part = new LinkedHashMap<>();
            for (int i = s * per; i < Math.min(names.length, (s + 1) * per); i++) {
                part.put(layout.stored(names[i]), shapes.get(names[i]));
                wm.put(layout.stored(names[i]), file);
            }
            writeSafetensors(dir.resolve(file), part, "BF16", rnd);
        }
        if (shards > 1) writeJson(dir.resolve(WeightIndex.INDEX_FILE), index);
    }

    /** A minimal safetensors writer (header padded to 8 bytes like the Python library). */
    public static void writeSafetensors(Path file, Map<String, long[]> tensors, String dtype, Random rnd) throws IOException {
        int width = dtype.equals("F32") ? 4 : 2;
        ObjectNode header = M.createObjectNode();
        header.putObject("__metadata__").put("format", "pt");
        long off = 0;
        for (Map.Entry<String, long[]> e : tensors.entrySet()) {
            long n = 1;
            for (long d : e.getValue()) n *= d;
            ObjectNode t = header.putObject(e.getKey());
            t.put("dtype", dtype);
            ArrayNode sh = t.putArray("shape");
            for (long d : e.getValue()) sh.add(d);
            t.putArray("data_offsets").add(off).add(off + n * width);
            off += n * width;
        }
        byte[] h = M.writeValueAsString(header).getBytes(StandardCharsets.UTF_8);
        int pad = (8 - h.length % 8) % 8;
        try (OutputStream out = Files.newOutputStream(file)) {
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length + pad);
            out.write(len.array());
            out.write(h);
            for (int i = 0; i < pad; i++) out.write(' ');
            for (long[] shape : tensors.values()) {
                long n = 1;
                for (long d : shape) n *= d;
                ByteBuffer b = ByteBuffer.allocate((int) (n * width)).order(ByteOrder.LITTLE_ENDIAN);
                for (long i = 0; i < n; i++) {
                    float x = value(rnd);
                    if (width == 4) b.putFloat(x);
                    else if (dtype.equals("F16")) b.putShort(toHalf(x));
                    else b.putShort((short) (Float.floatToIntBits(x) >>> 16));
                }
                out.write(b.array());
            }
        }
    }

    /** A cheap seeded weight value, uniform in [-2, 2) with 2^-14 steps (exact in bf16, f16 and f32). */
    public static float value(Random rnd) {
        return ((rnd.nextInt() >> 16)) / 16384f;
    }

    /** IEEE half of a float with |x| in [2^-14, 65504] or zero (enough for N(0,1) test weights; truncates). */
    static short toHalf(float x) {
        int bits = Float.floatToIntBits(x);
        int sign = (bits >>> 16) & 0x8000;
        int exp = ((bits >>> 23) & 0xff) - 127 + 15;
        int mant = (bits >>> 13) & 0x3ff;
        if (exp <= 0) return (short) sign;
        if (exp >= 31) return (short) (sign | 0x7bff);
        return (short) (sign | (exp << 10) | mant);
    }
}
