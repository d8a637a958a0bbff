package org.leverplus.selector;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Sizes and regularisation of a pointer selector. Defaults are the RL workflow's (spec 7.3, 10.1): d_model 512,
 * hidden 256, one single-head cross-attention layer, dropout 0.5, attention dropout 0.1, fixed temperature 0.1.
 *
 * @param stepEmbRows rows of V4-5's {@code step_emb} table (the training shot number, 2); later steps reuse the last row
 */
public record SelectorConfig(SelectorArch arch, int dModel, int hiddenDim, int numLayers, int numHeads,
                             double dropout, double attnDropout, double temperature, int stepEmbRows) {
    public SelectorConfig {
        if (dModel < 1 || hiddenDim < 1) throw new IllegalArgumentException("d_model and hidden_dim must be >= 1, got " + dModel + ", " + hiddenDim);
        if (numLayers < 0) throw new IllegalArgumentException("num_layers must be >= 0, got " + numLayers);
        if (numHeads != 1) throw new IllegalArgumentException("only single-head cross-attention is supported (num_heads 1), got " + numHeads);
        if (dropout < 0 || dropout >= 1 || attnDropout < 0 || attnDropout >= 1)
            throw new IllegalArgumentException("dropout probabilities must be in [0,1), got " + dropout + ", " + attnDropout);
        if (!(temperature > 0)) throw new IllegalArgumentException("temperature must be > 0, got " + temperature);
        if (stepEmbRows < 1) throw new IllegalArgumentException("step_emb rows must be >= 1, got " + stepEmbRows);
        // sizes come from flags and checkpoint metadata: bound them before anything is allocated
        if (numLayers > MAX_LAYERS) throw new IllegalArgumentException("num_layers must be at most " + MAX_LAYERS + ", got " + numLayers);
        if (dModel > MAX_WIDTH || hiddenDim > MAX_WIDTH)
            throw new IllegalArgumentException("d_model and hidden_dim must be at most " + MAX_WIDTH + ", got " + dModel + ", " + hiddenDim);
        if (stepEmbRows > MAX_WIDTH) throw new IllegalArgumentException("step_emb rows must be at most " + MAX_WIDTH + ", got " + stepEmbRows);
        double params = (dModel == hiddenDim ? 0 : (double) dModel * hiddenDim) + (2.0 + 4.0 * numLayers) * hiddenDim * hiddenDim;
        if (params > MAX_PARAMETERS)
            throw new IllegalArgumentException(String.format(java.util.Locale.ROOT, "selector too large: about %.3g parameters (d_model %d, hidden_dim %d, num_layers %d), at most %d",
                    params, dModel, hiddenDim, numLayers, MAX_PARAMETERS));
    }

    /** Bounds on sizes read from flags and files (the original uses 1-2 layers and hidden 256). */
    public static final int MAX_LAYERS = 64, MAX_WIDTH = 65536;
    public static final long MAX_PARAMETERS = 1L << 30;

    /**
     * A lower bound on the float parameters of this architecture (input/query/candidate projections and the
     * attention layers' in/out projections), to check a checkpoint's metadata against the bytes it actually holds
     * before a model is built.
     */
    public long minParameters() {
        return (dModel == hiddenDim ? 0 : (long) dModel * hiddenDim) + (2L + 4L * numLayers) * hiddenDim * hiddenDim;
    }

    public static SelectorConfig defaults() {
        return new SelectorConfig(SelectorArch.V3, 512, 256, 1, 1, 0.5, 0.1, 0.1, 2);
    }

    public SelectorConfig withArch(SelectorArch a) { return new SelectorConfig(a, dModel, hiddenDim, numLayers, numHeads, dropout, attnDropout, temperature, stepEmbRows); }
    public SelectorConfig withSizes(int d, int h, int layers) { return new SelectorConfig(arch, d, h, layers, numHeads, dropout, attnDropout, temperature, stepEmbRows); }
    public SelectorConfig withDropout(double p, double pAttn) { return new SelectorConfig(arch, dModel, hiddenDim, numLayers, numHeads, p, pAttn, temperature, stepEmbRows); }

    /** Checkpoint {@code __metadata__} entries describing this architecture. */
    public Map<String, String> toMetadata() {
        Map<String, String> m = new LinkedHashMap<>();
        m.put("arch", arch.id);
        m.put("d_model", Integer.toString(dModel));
        m.put("hidden_dim", Integer.toString(hiddenDim));
        m.put("num_layers", Integer.toString(numLayers));
        m.put("num_heads", Integer.toString(numHeads));
        m.put("dropout", Double.toString(dropout));
        m.put("attn_dropout", Double.toString(attnDropout));
        m.put("temperature", Double.toString(temperature));
        m.put("step_emb_rows", Integer.toString(stepEmbRows));
        return m;
    }

    /** Reads the entries written by {@link #toMetadata}; absent ones take {@link #defaults()}. */
    public static SelectorConfig fromMetadata(Map<String, String> m) {
        SelectorConfig d = defaults();
        return new SelectorConfig(
                m.containsKey("arch") ? SelectorArch.parse(m.get("arch")) : d.arch,
                intOf(m, "d_model", d.dModel), intOf(m, "hidden_dim", d.hiddenDim), intOf(m, "num_layers", d.numLayers),
                intOf(m, "num_heads", d.numHeads), dblOf(m, "dropout", d.dropout), dblOf(m, "attn_dropout", d.attnDropout),
                dblOf(m, "temperature", d.temperature), intOf(m, "step_emb_rows", d.stepEmbRows));
    }

    /**
     * Infers the architecture from parameter names and shapes, as the original's loader does (spec 11.2): hidden size
     * from {@code query_proj.weight}, d_model from {@code input_proj.weight}, layers from {@code cross_attn_layers.N},
     * V4-5 from {@code attn_Wq}. Dropout values are training settings and take the defaults.
     */
    public static SelectorConfig infer(Map<String, long[]> shapes) {
        SelectorConfig d = defaults();
        long[] qp = shapes.get("query_proj.weight");
        if (qp == null) throw new IllegalArgumentException("cannot infer the selector architecture: no query_proj.weight among "
                + shapes.size() + " tensors");
        int h = (int) qp[0];
        long[] ip = shapes.get("input_proj.weight");
        int dm = ip == null ? h : (int) ip[1];
        int layers = 0;
        for (String k : shapes.keySet())
            if (k.startsWith("cross_attn_layers.")) {
                String rest = k.substring("cross_attn_layers.".length());
                int dot = rest.indexOf('.');
                try { layers = Math.max(layers, Integer.parseInt(rest.substring(0, dot)) + 1); } catch (RuntimeException ignored) { }
            }
        SelectorArch a = shapes.containsKey("attn_Wq.weight") ? SelectorArch.V4_5_ADDITIVE : SelectorArch.V3;
        long[] se = shapes.get("step_emb.weight");
        int rows = se == null ? d.stepEmbRows : (int) se[0];
        return new SelectorConfig(a, dm, h, layers, 1, d.dropout, d.attnDropout, d.temperature, rows);
    }

    private static int intOf(Map<String, String> m, String k, int def) {
        String v = m.get(k);
        if (v == null) return def;
        try { return Integer.parseInt(v.trim()); } catch (NumberFormatException e) {
            throw new IllegalArgumentException("checkpoint metadata '" + k + "': expected an integer, found '" + v + "'");
        }
    }

    private static double dblOf(Map<String, String> m, String k, double def) {
        String v = m.get(k);
        if (v == null) return def;
        try { return Double.parseDouble(v.trim()); } catch (NumberFormatException e) {
            throw new IllegalArgumentException("checkpoint metadata '" + k + "': expected a number, found '" + v + "'");
        }
    }
}
