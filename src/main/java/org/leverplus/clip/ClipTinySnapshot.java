package org.leverplus.clip;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.bytedeco.pytorch.Generator;
import org.bytedeco.pytorch.GeneratorOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.leverplus.io.AtomicOutput;
import org.leverplus.io.Safetensors;
import org.leverplus.torch.TensorScope;
import org.leverplus.torch.TorchRuntime;
import org.leverplus.vlm.model.Tensors;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Tiny random CLIP snapshots in the real file format (config.json, model.safetensors, preprocessor_config.json and a
 * CLIP-format tokenizer.json), for tests and the tour. Two geometries shaped like the two checkpoints Lever-Plus uses,
 * scaled down: {@code b32} (patch 32, like ViT-B/32, the selector encoder) and {@code l14} (patch 14, like ViT-L/14,
 * the sampler encoder). The tokenizer is CLIP's pipeline (NFC, whitespace runs to one space, lower case, CLIP's split
 * pattern, byte-level BPE with {@code </w>}) over a byte-only vocabulary: ids 0-255 are bytes inside a word, 256-511
 * bytes that end a word, 512 {@code <|startoftext|>}, 513 {@code <|endoftext|>} (the largest id, as in the real vocabulary).
 */
public final class ClipTinySnapshot {
    private ClipTinySnapshot() {}

    public static final int VOCAB = 514;

    public enum Geometry {
        B32(64, 32, 32, 16), L14(56, 14, 48, 24);

        final int image, patch, hidden, projection;

        Geometry(int image, int patch, int hidden, int projection) {
            this.image = image;
            this.patch = patch;
            this.hidden = hidden;
            this.projection = projection;
        }
    }

    /** Writes a snapshot into {@code dir} (created; existing files there are refused unless {@code overwrite}). */
    public static void write(Path dir, Geometry g, ScalarType dtype, long seed, boolean overwrite) throws IOException {
        if (dtype != ScalarType.Float && dtype != ScalarType.BFloat16 && dtype != ScalarType.Half)
            throw new IllegalArgumentException("make-tiny dtype must be float32, bfloat16 or float16");
        TorchRuntime.init();
        Files.createDirectories(dir);
        ObjectMapper json = new ObjectMapper();
        ObjectNode cfg = json.createObjectNode();
        cfg.putArray("architectures").add("CLIPModel");
        cfg.put("model_type", "clip");
        cfg.put("projection_dim", g.projection);
        cfg.put("logit_scale_init_value", 2.6592);
        ObjectNode t = cfg.putObject("text_config");
        t.put("model_type", "clip_text_model");
        t.put("vocab_size", VOCAB);
        t.put("hidden_size", g.hidden);
        t.put("intermediate_size", 2 * g.hidden);
        t.put("num_hidden_layers", 2);
        t.put("num_attention_heads", 4);
        t.put("max_position_embeddings", 77);
        t.put("hidden_act", "quick_gelu");
        t.put("layer_norm_eps", 1e-5);
        t.put("bos_token_id", 0);
        t.put("eos_token_id", 2);   // as the OpenAI configs: the argmax end-of-text rule
        t.put("pad_token_id", 1);
        ObjectNode v = cfg.putObject("vision_config");
        v.put("model_type", "clip_vision_model");
        v.put("hidden_size", g.hidden);
        v.put("intermediate_size", 2 * g.hidden);
        v.put("num_hidden_layers", 2);
        v.put("num_attention_heads", 4);
        v.put("image_size", g.image);
        v.put("patch_size", g.patch);
        v.put("num_channels", 3);
        v.put("hidden_act", "quick_gelu");
        v.put("layer_norm_eps", 1e-5);
        cfg.put("torch_dtype", dtype == ScalarType.Float ? "float32" : dtype == ScalarType.BFloat16 ? "bfloat16" : "float16");
        ClipConfig c = ClipConfig.read(writeJson(json, dir.resolve(ClipConfig.FILE), cfg, overwrite));

        try (TensorScope s = TensorScope.open()) {
            Generator gen = torch.make_generator_cpu(seed);
            Map<String, Tensor> w = new LinkedHashMap<>();
            for (Map.Entry<String, long[]> e : ClipWeights.of(c).entrySet()) {
                String name = e.getKey();
                long[] shape = e.getValue();
                Tensor r = torch.randn(shape, new GeneratorOptional(gen), new TensorOptions(ScalarType.Float));
                double scale = name.contains("layer_norm") || name.contains("layrnorm") || name.contains("layernorm")
                        ? (name.endsWith(".weight") ? 0.1 : 0.05) : name.endsWith(".bias") ? 0.02
                        : name.contains("embedding") ? 0.5 : 1.0 / Math.sqrt(shape[shape.length - 1] * (shape.length == 4 ? shape[2] * shape[3] : 1));
                Tensor x = r.mul(Tensors.scalar(scale));
                if (name.endsWith("norm1.weight") || name.endsWith("norm2.weight") || name.endsWith("layrnorm.weight")
                        || name.endsWith("layernorm.weight") || name.endsWith("final_layer_norm.weight"))
                    x = x.add(Tensors.scalar(1.0));
                w.put(name, x.to(dtype).contiguous());
            }
            w.put("logit_scale", torch.full(new long[]{}, Tensors.scalar(2.6592), new TensorOptions(ScalarType.Float)).to(dtype));
            Path out = dir.resolve("model.safetensors");
            if (!overwrite && Files.exists(out)) throw new java.nio.file.FileAlreadyExistsException(out + " exists (use --overwrite)");
            Safetensors.write(out, w, Map.of("format", "pt"));
        }
        ObjectNode pre = json.createObjectNode();
        pre.put("image_processor_type", "CLIPImageProcessor");
        pre.putObject("size").put("shortest_edge", g.image);
        pre.putObject("crop_size").put("height", g.image).put("width", g.image);
        pre.put("do_resize", true);
        pre.put("do_center_crop", true);
        pre.put("do_rescale", true);
        pre.put("rescale_factor", 1.0 / 255);
        pre.put("do_normalize", true);
        pre.put("do_convert_rgb", true);
        pre.put("resample", 3);
        pre.putArray("image_mean").add(0.48145466).add(0.4578275).add(0.40821073);
        pre.putArray("image_std").add(0.26862954).add(0.26130258).add(0.27577711);
        writeJson(json, dir.resolve(ClipImageProcessor.FILE), pre, overwrite);
        writeJson(json, dir.resolve("tokenizer.json"), tokenizerJson(json), overwrite);
    }

    /** GPT-2's reversible byte-to-character map, which CLIP's byte-level BPE uses. */
    static String[] bytesToUnicode() {
        String[] out = new String[256];
        int n = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            out[b] = new String(Character.toChars(printable ? b : 256 + n++));
        }
        return out;
    }

    static ObjectNode tokenizerJson(ObjectMapper json) {
        ObjectNode t = json.createObjectNode();
        t.put("version", "1.0");
        t.putNull("truncation");
        t.putNull("padding");
        ArrayNode added = t.putArray("added_tokens");
        for (String[] tok : new String[][]{{"512", ClipTokenizer.BOS}, {"513", ClipTokenizer.EOS}}) {
            ObjectNode a = added.addObject();
            a.put("id", Integer.parseInt(tok[0]));
            a.put("content", tok[1]);
            a.put("single_word", false);
            a.put("lstrip", false);
            a.put("rstrip", false);
            a.put("normalized", true);
            a.put("special", true);
        }
        ObjectNode norm = t.putObject("normalizer");
        norm.put("type", "Sequence");
        ArrayNode ns = norm.putArray("normalizers");
        ns.addObject().put("type", "NFC");
        ObjectNode rep = ns.addObject();
        rep.put("type", "Replace");
        rep.putObject("pattern").put("Regex", "\\s+");
        rep.put("content", " ");
        ns.addObject().put("type", "Lowercase");
        ObjectNode pre = t.putObject("pre_tokenizer");
        pre.put("type", "Sequence");
        ArrayNode ps = pre.putArray("pretokenizers");
        ObjectNode split = ps.addObject();
        split.put("type", "Split");
        split.putObject("pattern").put("Regex", "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+");
        split.put("behavior", "Removed");
        split.put("invert", true);
        ObjectNode bl = ps.addObject();
        bl.put("type", "ByteLevel");
        bl.put("add_prefix_space", false);
        bl.put("trim_offsets", true);
        bl.put("use_regex", false);
        t.putNull("post_processor");
        ObjectNode dec = t.putObject("decoder");
        dec.put("type", "ByteLevel");
        dec.put("add_prefix_space", true);
        dec.put("trim_offsets", true);
        dec.put("use_regex", true);
        ObjectNode model = t.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.put("unk_token", ClipTokenizer.EOS);
        model.put("continuing_subword_prefix", "");
        model.put("end_of_word_suffix", "</w>");
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        ObjectNode vocab = model.putObject("vocab");
        String[] bu = bytesToUnicode();
        for (int b = 0; b < 256; b++) vocab.put(bu[b], b);
        for (int b = 0; b < 256; b++) vocab.put(bu[b] + "</w>", 256 + b);
        vocab.put(ClipTokenizer.BOS, 512);
        vocab.put(ClipTokenizer.EOS, 513);
        model.putArray("merges");
        return t;
    }

    private static Path writeJson(ObjectMapper json, Path file, ObjectNode node, boolean overwrite) throws IOException {
        try (AtomicOutput o = AtomicOutput.create(file, overwrite)) {
            o.stream().write(json.writerWithDefaultPrettyPrinter().writeValueAsBytes(node)); // writeValue would close the stream before the commit
            o.commit();
        }
        return file;
    }
}
