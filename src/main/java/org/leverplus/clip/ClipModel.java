package org.leverplus.clip;

import org.bytedeco.pytorch.AutoGradMode;
import org.bytedeco.pytorch.Tensor;
import org.leverplus.hf.SnapshotWeights;
import org.leverplus.torch.TensorScope;
import org.leverplus.torch.TorchRuntime;
import org.leverplus.vlm.model.ModelOptions;
import org.leverplus.vlm.model.ParameterLoader;
import org.leverplus.vlm.model.Tensors;
import org.leverplus.vlm.model.WeightSource;

import java.io.IOException;
import java.util.List;

/**
 * Hugging Face {@code CLIPModel} (or one tower of it) in LibTorch: {@code text_embeds}, {@code image_embeds}, the
 * pooled outputs, and Lever-Plus's selector embedding. Owns its parameters; {@link #close()} releases them.
 * Inference only (no autograd). Outputs come back as float32 arrays, one row per input.
 */
public final class ClipModel implements AutoCloseable {
    private final ClipConfig config;
    private final ModelOptions options;
    private final ClipTextTower text;     // null for a vision-only snapshot
    private final ClipVisionTower vision; // null for a text-only snapshot
    private final List<Tensor> parameters;

    /** Deliberate porting bugs, for the negative-control tests only. */
    enum Fault { NO_PRE_LAYRNORM, NO_CAUSAL_MASK, POOL_LAST_POSITION, SWAP_ACTIVATION }

    private ClipModel(ClipConfig config, ModelOptions options, ClipTextTower text, ClipVisionTower vision, List<Tensor> parameters) {
        this.config = config;
        this.options = options;
        this.text = text;
        this.vision = vision;
        this.parameters = parameters;
    }

    /** One forward's outputs, float32, row-major. */
    public record Output(float[][] pooled, float[][] embeds) {}

    /** Loads a snapshot (strictly verified first) in the given dtype and device. */
    public static ClipModel load(ClipSnapshot snapshot, ModelOptions options) throws IOException {
        return load(snapshot, options, java.util.EnumSet.noneOf(Fault.class));
    }

    static ClipModel load(ClipSnapshot snapshot, ModelOptions options, java.util.Set<Fault> faults) throws IOException {
        TorchRuntime.init();
        ClipConfig c = snapshot.config();
        if (faults.contains(Fault.SWAP_ACTIVATION)) c = swapActivation(c);
        try (SnapshotWeights w = snapshot.openWeights(); TensorScope scope = TensorScope.open()) {
            ParameterLoader p = new ParameterLoader(new WeightSource() {
                @Override public boolean contains(String name) { return w.contains(name); }

                @Override public Tensor get(String name) { return w.get(name); }
            }, options);
            ClipTextTower t = c.hasText() ? new ClipTextTower(p, c.text(), c.projectionDim(), !faults.contains(Fault.NO_CAUSAL_MASK),
                    faults.contains(Fault.POOL_LAST_POSITION) ? ClipTextTower.Pooling.LAST_POSITION : ClipTextTower.Pooling.CONFIG) : null;
            ClipVisionTower v = c.hasVision() ? new ClipVisionTower(p, c.vision(), c.projectionDim(), !faults.contains(Fault.NO_PRE_LAYRNORM)) : null;
            return new ClipModel(c, options, t, v, List.copyOf(p.owned()));
        }
    }

    private static ClipConfig swapActivation(ClipConfig c) {
        ClipConfig.Text t = c.text();
        ClipConfig.Vision v = c.vision();
        if (t != null) t = new ClipConfig.Text(t.vocabSize(), t.hiddenSize(), t.intermediateSize(), t.layers(), t.heads(), t.maxPositions(),
                t.layerNormEps(), other(t.act()), t.eosTokenId());
        if (v != null) v = new ClipConfig.Vision(v.hiddenSize(), v.intermediateSize(), v.layers(), v.heads(), v.imageSize(), v.patchSize(),
                v.channels(), v.layerNormEps(), other(v.act()));
        return new ClipConfig(t, v, c.projectionDim());
    }

    private static ClipConfig.Activation other(ClipConfig.Activation a) {
        return a == ClipConfig.Activation.GELU ? ClipConfig.Activation.QUICK_GELU : ClipConfig.Activation.GELU;
    }

    public ClipConfig config() { return config; }

    ClipTextTower textTower() { return text; }

    public ModelOptions options() { return options; }

    /** Text tower on token ids (rows of equal length, start and end tokens included). */
    public Output encodeText(int[][] ids) {
        if (text == null) throw new IllegalStateException("this CLIP snapshot has no text tower");
        try (TensorScope s = TensorScope.open(); AutoGradMode noGrad = new AutoGradMode(false)) {
            Tensor[] o = text.forward(ids);
            return new Output(rows(o[0], ids.length), rows(o[1], ids.length));
        }
    }

    /** Vision tower on preprocessed pixels: {@code batch} images of [C, S, S] float32, concatenated. */
    public Output encodeImages(float[] pixels, int batch) {
        if (vision == null) throw new IllegalStateException("this CLIP snapshot has no vision tower");
        ClipConfig.Vision v = config.vision();
        try (TensorScope s = TensorScope.open(); AutoGradMode noGrad = new AutoGradMode(false)) {
            Tensor px = Tensors.floats(pixels, options.torchDevice(), batch, v.channels(), v.imageSize(), v.imageSize());
            Tensor[] o = vision.forward(Tensors.as(px, options.dtype()));
            return new Output(rows(o[0], batch), rows(o[1], batch));
        }
    }

    /**
     * Lever-Plus's selector embedding (spec 3.6): {@code normalize(mean(normalize(image), normalize(text)))}, with
     * normalize = x / max(||x||, 1e-12) as F.normalize; computed in double from the float32 embeddings.
     */
    public static float[] selectorEmbedding(float[] image, float[] text) {
        if (image.length != text.length)
            throw new IllegalArgumentException("selector embedding: image dim " + image.length + " != text dim " + text.length);
        double ni = norm(image), nt = norm(text);
        double[] m = new double[image.length];
        for (int i = 0; i < m.length; i++) m[i] = (image[i] / ni + text[i] / nt) / 2;
        double nm = 0;
        for (double x : m) nm += x * x;
        nm = Math.max(Math.sqrt(nm), 1e-12);
        float[] out = new float[m.length];
        for (int i = 0; i < m.length; i++) out[i] = (float) (m[i] / nm);
        return out;
    }

    /** x / max(||x||, 1e-12), in float32 like F.normalize on a float32 tensor. */
    public static float[] normalize(float[] x) {
        double n = norm(x);
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i++) out[i] = (float) (x[i] / n);
        return out;
    }

    private static double norm(float[] x) {
        double s = 0;
        for (float v : x) s += (double) v * v;
        return Math.max(Math.sqrt(s), 1e-12);
    }

    private static float[][] rows(Tensor t, int n) {
        float[] flat = Tensors.toFloats(t);
        int d = flat.length / n;
        float[][] out = new float[n][d];
        for (int i = 0; i < n; i++) System.arraycopy(flat, i * d, out[i], 0, d);
        return out;
    }

    @Override public void close() {
        for (Tensor t : parameters) t.close();
    }
}
