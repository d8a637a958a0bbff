package org.leverplus.selector;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.leverplus.io.Safetensors;
import org.leverplus.io.TorchZipFile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Converts Lever-Plus selector checkpoints to Lever safetensors (spec 11.1):
 * <ul>
 *   <li>RL {@code .pt}: {@code {"epoch", "phase", "model_state_dict", "kl_beta", "metrics"}}, keys already original;</li>
 *   <li>Lightning {@code .ckpt}: {@code state_dict} with {@code lever_lm.} and {@code pointer_selector.} prefixes
 *       (stripped), legacy {@code cross_attn.*} / {@code attn_norm.*} names mapped to {@code cross_attn_layers.0.*} /
 *       {@code attn_norms.0.*}, and the frozen CLIP towers ({@code sen_model.*}, {@code img_model.*}) dropped with a
 *       notice;</li>
 *   <li>a bare state dict (name → tensor).</li>
 * </ul>
 * Floating-point tensors are stored as float32 (the selector's dtype); each conversion is reported.
 */
public final class CheckpointImport {
    private CheckpointImport() {}

    /** The converted tensors, metadata and what happened on the way. */
    public record Result(Map<String, Tensor> tensors, Map<String, String> metadata, List<String> notices, SelectorConfig config) {}

    public static Result convert(Path in) throws IOException {
        if (!Files.isRegularFile(in)) throw new java.io.FileNotFoundException(in + ": checkpoint file not found");
        Object root = TorchZipFile.load(in);
        if (!(root instanceof Map<?, ?> top)) throw new IllegalArgumentException(in + ": expected a dict at the top level, found " + describe(root));
        List<String> notices = new ArrayList<>();
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("source", in.getFileName().toString());
        Map<String, Tensor> raw;
        if (top.containsKey("model_state_dict")) {
            meta.put("source_format", "lever-plus-rl-pt");
            raw = tensorMap(in, "model_state_dict", top.get("model_state_dict"));
            if (top.get("phase") != null) meta.put("phase", String.valueOf(top.get("phase")));
            if (top.get("epoch") instanceof Number e) {
                meta.put("source_epoch", e.toString());          // the original stores the 0-based epoch index
                meta.put("epoch", Long.toString(e.longValue() + 1));
            }
            if (top.get("kl_beta") instanceof Number b) meta.put("beta", b.toString());
            if (top.get("metrics") != null) meta.put("metrics", json(top.get("metrics")));
        } else if (top.containsKey("state_dict")) {
            meta.put("source_format", "lightning-ckpt");
            Map<String, Tensor> sd = tensorMap(in, "state_dict", top.get("state_dict"));
            raw = new LinkedHashMap<>();
            Map<String, Integer> dropped = new TreeMap<>();
            for (Map.Entry<String, Tensor> e : sd.entrySet()) {
                String k = e.getKey();
                if (k.startsWith("lever_lm.")) k = k.substring("lever_lm.".length());
                if (k.startsWith("pointer_selector.")) k = k.substring("pointer_selector.".length());
                else if (e.getKey().startsWith("lever_lm.")) {
                    String head = k.contains(".") ? k.substring(0, k.indexOf('.')) : k;
                    dropped.merge(head + ".*", 1, Integer::sum);
                    continue;
                }
                String mapped = k.startsWith("cross_attn.") ? "cross_attn_layers.0." + k.substring("cross_attn.".length())
                        : k.startsWith("attn_norm.") ? "attn_norms.0." + k.substring("attn_norm.".length()) : k;
                if (!mapped.equals(k)) notices.add("renamed legacy key " + k + " -> " + mapped);
                raw.put(mapped, e.getValue());
            }
            for (Map.Entry<String, Integer> d : dropped.entrySet())
                notices.add("dropped " + d.getValue() + " non-selector tensors " + d.getKey() + " (CLIP towers are not part of the selector)");
            if (top.get("epoch") instanceof Number e) meta.put("source_epoch", e.toString());
            meta.put("phase", "sft");
        } else {
            meta.put("source_format", "state-dict");
            raw = tensorMap(in, "<root>", top);
        }
        Map<String, Tensor> out = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : raw.entrySet()) {
            Tensor t = e.getValue();
            ScalarType st = t.scalar_type().intern();
            if (st == ScalarType.Half || st == ScalarType.BFloat16 || st == ScalarType.Double) {
                notices.add("converted " + e.getKey() + " from " + st + " to Float");
                t = t.to(ScalarType.Float);
            }
            out.put(e.getKey(), t);
        }
        Map<String, long[]> shapes = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : out.entrySet()) shapes.put(e.getKey(), Tensors.shape(e.getValue()));
        SelectorConfig cfg = SelectorConfig.infer(shapes);
        Map<String, String> all = new LinkedHashMap<>();
        all.put(SelectorCheckpoint.FORMAT_KEY, SelectorCheckpoint.FORMAT);
        all.putAll(cfg.toMetadata());
        all.putAll(meta);
        return new Result(out, all, notices, cfg);
    }

    /** Converts and writes {@code out} atomically; refuses an existing {@code out} unless {@code overwrite}. */
    public static Result run(Path in, Path out, boolean overwrite) throws IOException {
        if (Files.exists(out) && !overwrite) throw new IllegalArgumentException(out + ": output exists (use --overwrite)");
        Result r = convert(in);
        Safetensors.write(out, r.tensors(), r.metadata());
        return r;
    }

    private static Map<String, Tensor> tensorMap(Path in, String where, Object o) {
        if (!(o instanceof Map<?, ?> m)) throw new IllegalArgumentException(in + ": '" + where + "' should be a dict of tensors, found " + describe(o));
        Map<String, Tensor> r = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : m.entrySet()) {
            if (!(e.getValue() instanceof Tensor t))
                throw new IllegalArgumentException(in + ": '" + where + "'['" + e.getKey() + "'] should be a tensor, found " + describe(e.getValue()));
            r.put(String.valueOf(e.getKey()), t);
        }
        return r;
    }

    private static String json(Object o) {
        try {
            return new ObjectMapper().writeValueAsString(plain(o));
        } catch (IOException e) {
            return String.valueOf(o);
        }
    }

    private static Object plain(Object o) {
        if (o instanceof Map<?, ?> m) {
            Map<String, Object> r = new LinkedHashMap<>();
            for (Map.Entry<?, ?> e : m.entrySet()) r.put(String.valueOf(e.getKey()), plain(e.getValue()));
            return r;
        }
        if (o instanceof List<?> l) { List<Object> r = new ArrayList<>(); for (Object x : l) r.add(plain(x)); return r; }
        if (o instanceof Tensor t) return t.numel() == 1 ? (Object) t.item_double() : "tensor" + java.util.Arrays.toString(Tensors.shape(t));
        if (o == null || o instanceof Number || o instanceof String || o instanceof Boolean) return o;
        return String.valueOf(o);
    }

    private static String describe(Object o) {
        return o == null ? "None" : o instanceof Tensor t ? "tensor" + java.util.Arrays.toString(Tensors.shape(t)) : TorchZipFile.describe(o);
    }
}
