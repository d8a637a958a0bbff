package org.leverplus.vlm.model;

import org.bytedeco.pytorch.Tensor;
import org.leverplus.torch.TensorScope;

import java.util.List;

/**
 * Qwen2_5_VLForConditionalGeneration without the Python control flow: a vision tower and a text decoder that the
 * engine drives step by step. Owns its parameters; close() releases them.
 */
public final class Qwen25VlModel implements AutoCloseable {
    private final ModelDims dims;
    private final ModelOptions options;
    private final VisionTransformer visual;
    private final Qwen2TextModel text;
    private final List<Tensor> parameters;

    private Qwen25VlModel(ModelDims dims, ModelOptions options, VisionTransformer visual, Qwen2TextModel text, List<Tensor> parameters) {
        this.dims = dims; this.options = options; this.visual = visual; this.text = text; this.parameters = parameters;
    }

    /** Loads every parameter from {@code weights} (canonical names), converting to the requested dtype and device. */
    public static Qwen25VlModel load(WeightSource weights, ModelDims dims, ModelOptions options) {
        try (TensorScope scope = TensorScope.open()) {
            ParameterLoader p = new ParameterLoader(weights, options);
            VisionTransformer visual = VisionTransformer.load(p, dims.vision());
            Qwen2TextModel text = Qwen2TextModel.load(p, dims);
            return new Qwen25VlModel(dims, options, visual, text, List.copyOf(p.owned()));
        }
    }

    /** Loads a snapshot directory (config.json + safetensors in either key layout), verifying every weight first. */
    public static Qwen25VlModel load(org.leverplus.vlm.Qwen25VlSnapshot snapshot, ModelOptions options) throws java.io.IOException {
        ModelDims dims = ModelDims.of(snapshot.config());
        try (org.leverplus.hf.SnapshotWeights w = snapshot.openWeights()) {
            return load(new WeightSource() {
                @Override public boolean contains(String name) { return w.contains(name); }

                @Override public Tensor get(String name) { return w.get(name); }
            }, dims, options);
        }
    }

    public ModelDims dims() { return dims; }

    public ModelOptions options() { return options; }

    public VisionTransformer visual() { return visual; }

    public Qwen2TextModel text() { return text; }

    /** Parameter bytes (the tied embedding counted once). */
    public long parameterBytes() {
        long n = 0;
        for (Tensor t : parameters) n += t.numel() * t.element_size();
        return n;
    }

    @Override public void close() {
        for (Tensor t : parameters) t.close();
    }
}
