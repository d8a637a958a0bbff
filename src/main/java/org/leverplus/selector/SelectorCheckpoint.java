package org.leverplus.selector;

import org.bytedeco.pytorch.Tensor;
import org.leverplus.io.Safetensors;
import org.leverplus.io.SafetensorsDtype;
import org.leverplus.io.SafetensorsFile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Selector checkpoints: safetensors with the original state-dict key names and a {@code __metadata__} map holding the
 * architecture and its sizes ({@link SelectorConfig#toMetadata()}) plus training facts (phase, epoch, beta, metrics).
 * Every load runs {@link ParameterMatch} and fails unless every parameter is present with the right shape and dtype,
 * apart from what the caller's patterns explicitly allow.
 */
public final class SelectorCheckpoint {
    /** Metadata key: format marker. */
    public static final String FORMAT_KEY = "format";
    public static final String FORMAT = "lever-selector-1";

    private SelectorCheckpoint() {}

    /** Loading options: the architecture to build (null: from the checkpoint) and the partial-load patterns. */
    public record LoadOptions(SelectorConfig config, List<String> allowMissing, List<String> ignoreUnexpected) {
        public static LoadOptions strict() { return new LoadOptions(null, List.of(), List.of()); }
        public LoadOptions withConfig(SelectorConfig c) { return new LoadOptions(c, allowMissing, ignoreUnexpected); }
    }

    /** A loaded checkpoint: the model, the metadata and the matching report. */
    public record Loaded(PointerSelector model, Map<String, String> metadata, ParameterMatch match) implements AutoCloseable {
        @Override public void close() { model.close(); }
    }

    /** Writes the model's parameters and metadata atomically (temp file + rename). */
    public static void save(Path file, PointerSelector model, Map<String, String> extraMetadata) throws IOException {
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put(FORMAT_KEY, FORMAT);
        meta.putAll(model.config().toMetadata());
        if (extraMetadata != null) meta.putAll(extraMetadata);
        Map<String, Tensor> t = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : model.parameters().entrySet()) t.put(e.getKey(), e.getValue().detach());
        Safetensors.write(file, t, meta);
    }

    /** The architecture a checkpoint describes: its metadata, or inferred from key names and shapes. */
    public static SelectorConfig configOf(SafetensorsFile f) {
        Map<String, String> m = f.metadata();
        if (m.containsKey("arch")) {
            try {
                return SelectorConfig.fromMetadata(m);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(f.path() + ": checkpoint metadata: " + e.getMessage(), e);
            }
        }
        Map<String, long[]> shapes = new LinkedHashMap<>();
        for (String n : f.names()) shapes.put(n, f.info(n).shape());
        return SelectorConfig.infer(shapes);
    }

    /** Matches a file against a freshly built model of {@code config} without loading values. */
    public static ParameterMatch check(Path file, SelectorConfig config, List<String> allowMissing, List<String> ignoreUnexpected) throws IOException {
        requireFile(file);
        try (SafetensorsFile f = Safetensors.open(file)) {
            SelectorConfig c = config != null ? config : configOf(f);
            checkFits(f, c, allowMissing);
            try (PointerSelector m = PointerSelector.create(c, 0)) {
                ParameterMatch match = ParameterMatch.compare(expected(m), found(f), allowMissing, ignoreUnexpected);
                if (match.ok()) for (String n : m.parameters().keySet()) if (f.contains(n)) requireFinite(f, n);
                return match;
            }
        }
    }

    /**
     * Loads a checkpoint into a new model. Throws IllegalStateException naming every mismatching key unless the
     * match is clean (or covered by the patterns). Parameters matched by {@code allowMissing} stay at their seeded
     * initialisation; the returned report lists them.
     */
    public static Loaded load(Path file, LoadOptions opt) throws IOException {
        requireFile(file);
        try (SafetensorsFile f = Safetensors.open(file)) {
            SelectorConfig c = opt.config() != null ? opt.config() : configOf(f);
            checkFits(f, c, opt.allowMissing());
            PointerSelector m = PointerSelector.create(c, 0);
            ParameterMatch match = ParameterMatch.compare(expected(m), found(f), opt.allowMissing(), opt.ignoreUnexpected());
            if (!match.ok()) {
                m.close();
                throw new IllegalStateException(file + ": checkpoint does not match the " + c.arch().id + " selector (d_model "
                        + c.dModel() + ", hidden " + c.hiddenDim() + ", layers " + c.numLayers() + "): " + match.problems());
            }
            Map<String, Tensor> values = new LinkedHashMap<>();
            for (String n : m.parameters().keySet()) if (f.contains(n)) values.put(n, requireFinite(f, n));
            m.copyFrom(values);
            return new Loaded(m, new LinkedHashMap<>(f.metadata()), match);
        }
    }

    /**
     * The sizes a checkpoint's metadata (or the caller) describes must fit the tensor bytes the file holds: checked
     * before the model is built, so metadata claiming a million layers fails at once instead of allocating first.
     * Skipped when parameters may be missing (then the file legitimately holds less).
     */
    static void checkFits(SafetensorsFile f, SelectorConfig c, List<String> allowMissing) {
        if (allowMissing != null && !allowMissing.isEmpty()) return;
        long need = c.minParameters() * 4;
        if (need > f.dataBytes())
            throw new IllegalArgumentException(f.path() + ": the checkpoint describes a " + c.arch().id + " selector (d_model " + c.dModel()
                    + ", hidden_dim " + c.hiddenDim() + ", num_layers " + c.numLayers() + ") of at least " + need
                    + " bytes of float32 parameters, but the file holds only " + f.dataBytes() + " bytes of tensors");
    }

    /** The named tensor, or an error naming it when it holds NaN or an infinity (it would give arbitrary selections). */
    private static Tensor requireFinite(SafetensorsFile f, String name) {
        Tensor t = f.get(name);
        if (t.is_floating_point() && !org.bytedeco.pytorch.global.torch.isfinite(t).all().item_bool())
            throw new IllegalArgumentException(f.path() + ": tensor '" + name + "' holds NaN or infinite values");
        return t;
    }

    static Map<String, ParameterMatch.Spec> expected(PointerSelector m) {
        Map<String, ParameterMatch.Spec> e = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> p : m.parameters().entrySet())
            e.put(p.getKey(), new ParameterMatch.Spec(SafetensorsDtype.of(p.getValue().scalar_type()).name(), Tensors.shape(p.getValue())));
        return e;
    }

    static Map<String, ParameterMatch.Spec> found(SafetensorsFile f) {
        Map<String, ParameterMatch.Spec> e = new LinkedHashMap<>();
        for (String n : f.names()) e.put(n, new ParameterMatch.Spec(f.info(n).dtype().name(), f.info(n).shape()));
        return e;
    }

    private static void requireFile(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new java.io.FileNotFoundException(file + ": checkpoint file not found");
    }
}
