package org.leverplus.selector;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.EmbeddingImpl;
import org.bytedeco.pytorch.GRUCellImpl;
import org.bytedeco.pytorch.LayerNormImpl;
import org.bytedeco.pytorch.LinearImpl;
import org.bytedeco.pytorch.LinearOptions;
import org.bytedeco.pytorch.LongVector;
import org.bytedeco.pytorch.Module;
import org.bytedeco.pytorch.ModuleListImpl;
import org.bytedeco.pytorch.MultiheadAttentionImpl;
import org.bytedeco.pytorch.MultiheadAttentionOptions;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.StringTensorDict;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.leverplus.kernels.Kernels;
import org.leverplus.torch.TorchRuntime;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.leverplus.selector.Tensors.l2normalize;

/**
 * The Lever-Plus pointer selector as LibTorch modules, with parameter names identical to the original state dicts
 * ({@code input_proj.weight}, {@code cross_attn_layers.0.in_proj_weight}, ..., {@code query_update_gate.bias}).
 * <p>
 * The network is split into an encoder (projection, cross-attention, dropout, projections, L2 normalisation) and a
 * per-step decoder (score, mask, choose, update the state), so that training scores all N candidate sequences of a
 * query group on one encoding: the original expands query and pool N times and runs the whole network per row. With
 * {@link DropoutSharing#PER_SEQUENCE} the dropout masks are still drawn independently per candidate sequence exactly
 * like that expansion; {@link DropoutSharing#PER_GROUP} (the trainer's default) draws the candidate-side masks once
 * per group, which has the same marginal distribution per sequence and is much cheaper. In eval mode (or dropout 0) both are the same computation.
 * <p>
 * Not thread-safe for training; concurrent eval-mode use under no-grad (as {@link IcdSelector} does) only reads the
 * parameters.
 */
public final class PointerSelector implements AutoCloseable {
    /** How dropout masks are drawn in train mode across the candidate sequences of one query group. */
    public enum DropoutSharing { PER_SEQUENCE, PER_GROUP }

    /** Logit given to chosen (and padded) candidates, as the original. */
    public static final double MASKED_LOGIT = -100.0;

    private final SelectorConfig config;
    private final Module root;
    private final LinearImpl inputProj;                 // null: identity (d_model == hidden_dim)
    private final MultiheadAttentionImpl[] attn;
    private final LayerNormImpl[] norms;
    private final LinearImpl queryProj, candProj;
    private final LinearImpl gate;                      // V3
    private final GRUCellImpl gru;                      // V4-5
    private final EmbeddingImpl stepEmb;                // V4-5
    private final LinearImpl attnWq, attnWc, attnV;     // V4-5
    private final Map<String, Tensor> params;
    /** Native objects this selector owns beyond any PointerScope it was created in (released by close()). */
    private final java.util.List<org.bytedeco.javacpp.Pointer> owned = new java.util.ArrayList<>();
    private final Scalar invTemperature, negInf;
    // eval-mode fast path: views into the registered parameters
    private Tensor[] inWq, inWk, inWv, inBq, inBk, inBv;
    private Tensor gateWs, gateWc;

    private <P extends org.bytedeco.javacpp.Pointer> P own(P p) {
        p.retainReference();
        owned.add(p);
        return p;
    }

    private PointerSelector(SelectorConfig c) {
        TorchRuntime.init();
        this.config = c;
        int h = c.hiddenDim();
        root = new Module("PointerSelector");
        inputProj = c.dModel() == h ? null : root.register_module("input_proj", linear(c.dModel(), h, false));
        attn = new MultiheadAttentionImpl[c.numLayers()];
        norms = new LayerNormImpl[c.numLayers()];
        if (c.numLayers() > 0) {
            ModuleListImpl attnList = new ModuleListImpl();
            ModuleListImpl normList = new ModuleListImpl();
            for (int l = 0; l < c.numLayers(); l++) {
                MultiheadAttentionOptions o = new MultiheadAttentionOptions(h, c.numHeads());
                o.dropout().put(c.attnDropout());
                attn[l] = new MultiheadAttentionImpl(o);
                norms[l] = new LayerNormImpl(new LongVector(new long[]{h}));
                attnList.push_back(attn[l]);
                normList.push_back(norms[l]);
            }
            root.register_module("cross_attn_layers", attnList);
            root.register_module("attn_norms", normList);
        }
        queryProj = root.register_module("query_proj", linear(h, h, false));
        candProj = root.register_module("cand_proj", linear(h, h, false));
        if (c.arch() == SelectorArch.V3) {
            gate = root.register_module("query_update_gate", linear(2 * h, h, true));
            gru = null; stepEmb = null; attnWq = null; attnWc = null; attnV = null;
        } else {
            gate = null;
            gru = root.register_module("decoder_gru", new GRUCellImpl(h, h));
            stepEmb = root.register_module("step_emb", new EmbeddingImpl(c.stepEmbRows(), h));
            attnWq = root.register_module("attn_Wq", linear(h, h, true));
            attnWc = root.register_module("attn_Wc", linear(h, h, false));
            attnV = root.register_module("attn_v", linear(h, 1, false));
        }
        Map<String, Tensor> p = new LinkedHashMap<>();
        StringTensorDict d = root.named_parameters(true);
        // get(i).value() is a reference INTO the dictionary d (JavaCPP @ByRef): copy it into a Tensor of our own (a
        // new at::Tensor sharing the parameter's storage), or it dangles once d is released by a scope or the GC
        for (long i = 0; i < d.size(); i++) p.put(d.get(i).key().getString(), new Tensor(d.get(i).value()));
        d.close();
        params = Collections.unmodifiableMap(p);
        own(root);
        for (org.bytedeco.javacpp.Pointer m : new org.bytedeco.javacpp.Pointer[]{inputProj, queryProj, candProj, gate, gru, stepEmb, attnWq, attnWc, attnV})
            if (m != null) own(m);
        for (MultiheadAttentionImpl m : attn) own(m);
        for (LayerNormImpl m : norms) own(m);
        for (Tensor t : params.values()) own(t);
        invTemperature = own(new Scalar(1.0 / c.temperature()));
        negInf = own(new Scalar(Double.NEGATIVE_INFINITY));
        int nl = c.numLayers();
        inWq = new Tensor[nl]; inWk = new Tensor[nl]; inWv = new Tensor[nl];
        inBq = new Tensor[nl]; inBk = new Tensor[nl]; inBv = new Tensor[nl];
        for (int l = 0; l < nl; l++) {
            Tensor w = params.get("cross_attn_layers." + l + ".in_proj_weight"), b = params.get("cross_attn_layers." + l + ".in_proj_bias");
            inWq[l] = own(w.narrow(0, 0, h)); inWk[l] = own(w.narrow(0, h, h)); inWv[l] = own(w.narrow(0, 2L * h, h));
            inBq[l] = own(b.narrow(0, 0, h)); inBk[l] = own(b.narrow(0, h, h)); inBv[l] = own(b.narrow(0, 2L * h, h));
        }
        if (gate != null) {
            gateWs = own(gate.weight().narrow(1, 0, h));
            gateWc = own(gate.weight().narrow(1, h, h));
        }
    }

    /** A freshly initialised selector; the initialisation follows the original classes and is seeded. */
    public static PointerSelector create(SelectorConfig c, long seed) {
        TorchRuntime.init();
        synchronized (PointerSelector.class) {
            torch.manual_seed(seed);
            PointerSelector s = new PointerSelector(c);
            s.initialise();
            return s;
        }
    }

    private static LinearImpl linear(long in, long out, boolean bias) {
        LinearOptions o = new LinearOptions(in, out);
        o.bias().put(bias);
        return new LinearImpl(o);
    }

    /** The original's _init_weights (LibTorch defaults for attention, LayerNorm and GRU are PyTorch's). */
    private void initialise() {
        try (org.bytedeco.pytorch.AutoGradMode noGrad = new org.bytedeco.pytorch.AutoGradMode(false)) {
            if (inputProj != null) xavierUniform(inputProj.weight(), 1.0);
            for (LinearImpl l : new LinearImpl[]{queryProj, candProj}) {
                Tensor w = l.weight();
                w.copy_(torch.eye(w.size(0), w.size(1)).add(torch.randn(w.size(0), w.size(1)).mul(new Scalar(0.01))));
            }
            if (gate != null) {
                xavierUniform(gate.weight(), 1.0);
                gate.bias().zero_();
            } else {
                stepEmb.weight().normal_(0.0, 0.02, new org.bytedeco.pytorch.GeneratorOptional());
                xavierUniform(attnWq.weight(), 1.0);
                attnWq.bias().zero_();
                xavierUniform(attnWc.weight(), 1.0);
                xavierUniform(attnV.weight(), 0.1);
            }
        }
    }

    private static void xavierUniform(Tensor w, double scale) {
        double bound = Math.sqrt(6.0 / (w.size(0) + w.size(1)));
        w.uniform_(-bound, bound, new org.bytedeco.pytorch.GeneratorOptional());
        if (scale != 1.0) w.mul_(new Scalar(scale));
    }

    public SelectorConfig config() { return config; }

    /** Parameters by their original state-dict names, in registration order (live tensors). */
    public Map<String, Tensor> parameters() { return params; }

    /** The LibTorch module tree (for device moves and mode switches). */
    public Module module() { return root; }

    public void train(boolean on) {
        if (on) invalidateInferenceCache();
        root.train(on);
    }

    public boolean isTraining() { return root.is_training(); }

    /** Moves the parameters to {@code device} (e.g. {@code new Device("cuda:0")}); inputs must live there too. */
    public void to(Device device) {
        invalidateInferenceCache();
        root.to(device, false);
    }

    /** Copies values (no autograd) from {@code src} into the parameters with the same names; shapes must match. */
    public void copyFrom(Map<String, Tensor> src) {
        invalidateInferenceCache();
        try (org.bytedeco.pytorch.AutoGradMode noGrad = new org.bytedeco.pytorch.AutoGradMode(false)) {
            for (Map.Entry<String, Tensor> e : src.entrySet()) {
                Tensor p = params.get(e.getKey());
                if (p != null) p.copy_(e.getValue());
            }
        }
    }

    public TensorVector parameterVector() {
        TensorVector v = new TensorVector();
        for (Tensor t : params.values()) v.push_back(t);
        return v;
    }

    // ------------------------------------------------------------------ encoder

    /**
     * The encoder's output for B query groups of N rows each (R = B*N decoder rows).
     *
     * @param state     initial decoder state s (V3) or h (V4-5), [R,H], L2-normalised
     * @param cands     normalised projected candidates, [B,Nc,K,H] (Nc = N with per-sequence dropout, else 1)
     * @param candKeys  V4-5 only: attn_Wc(cands), same shape
     * @param padMask   [R,K] true where the pool position is padding, or null
     * @param rowBase   [R] int64: row r's first candidate in the flattened [B*Nc*K,H] cands
     */
    public record Encoded(int groups, int rowsPerGroup, int pool, int candRows, Tensor state, Tensor cands,
                          Tensor candKeys, Tensor padMask, Tensor rowBase) {
        public int rows() { return groups * rowsPerGroup; }
    }

    /**
     * Encodes query groups.
     *
     * @param query         [B,d] float32
     * @param cand          [B,K,d] float32 (the query's own candidate pool, padded to K)
     * @param poolPad       [B,K] bool, true at padded pool positions, or null when every pool is full
     * @param rowsPerGroup  N decoder rows per group (candidate sequences, beams, or 1)
     */
    public Encoded encode(Tensor query, Tensor cand, Tensor poolPad, int rowsPerGroup, DropoutSharing sharing) {
        int h = config.hiddenDim();
        long b = query.size(0), k = cand.size(1);
        if (query.dim() != 2 || cand.dim() != 3 || cand.size(0) != b || query.size(1) != config.dModel() || cand.size(2) != config.dModel())
            throw new IllegalArgumentException("selector input: expected query [B," + config.dModel() + "] and candidates [B,K,"
                    + config.dModel() + "], got " + java.util.Arrays.toString(Tensors.shape(query)) + " and "
                    + java.util.Arrays.toString(Tensors.shape(cand)));
        if (k < 1) throw new IllegalArgumentException("selector input: the candidate pool is empty");
        int n = rowsPerGroup;
        boolean training = isTraining();
        boolean perRow = training && sharing == DropoutSharing.PER_SEQUENCE && (config.dropout() > 0 || config.attnDropout() > 0) && n > 1;
        int nq = perRow ? n : 1;                                          // rows the attention is computed for

        Tensor qr = inputProj == null ? query : inputProj.forward(query);                       // [B,H]
        Tensor cr = inputProj == null ? cand : inputProj.forward(cand.reshape(b * k, config.dModel())).reshape(b, k, h); // [B,K,H]
        Tensor hq = qr.unsqueeze(1);                                                               // [B,1,H]
        if (nq > 1) hq = hq.expand(b, nq, h);
        Tensor keyPad = poolPad == null ? null : poolPad.unsqueeze(1);                            // [B,1,K]
        for (int l = 0; l < attn.length; l++) hq = attentionLayer(l, hq, cr, keyPad, training);  // [B,nq,H]

        // rows: [B,N,H] with per-row dropout on the query side (cheap)
        Tensor hRows = hq.expand(b, n, h).reshape(b * n, h);
        Tensor s = l2normalize(queryProj.forward(torch.dropout(hRows, config.dropout(), training)));   // [R,H]

        Tensor c4;
        if (perRow) {
            Tensor crRows = cr.unsqueeze(1).expand(b, n, k, h);
            c4 = l2normalize(candProj.forward(torch.dropout(crRows, config.dropout(), training)));      // [B,N,K,H]
        } else {
            c4 = l2normalize(candProj.forward(torch.dropout(cr, config.dropout(), training))).unsqueeze(1); // [B,1,K,H]
        }
        int nc = (int) c4.size(1);
        Tensor flat = c4.reshape(b * nc * k, h);
        Tensor keys = attnWc == null ? null : attnWc.forward(c4);
        Tensor pad = poolPad == null ? null : poolPad.unsqueeze(1).expand(b, n, k).reshape(b * n, k);
        Tensor base;
        Tensor r = torch.arange(new Scalar(0), new Scalar(b * n), new org.bytedeco.pytorch.TensorOptions(ScalarType.Long)).to(query.device(), ScalarType.Long);
        base = nc == 1 ? r.floor_divide(new Scalar(n)).mul(new Scalar(k)) : r.mul(new Scalar(k));
        return new Encoded((int) b, n, (int) k, nc, s, flat, keys, pad, base);
    }

    /**
     * One single-head cross-attention layer with residual and LayerNorm, computed from the registered
     * MultiheadAttention parameters: scores, softmax, attention dropout and output projection exactly as
     * {@code nn.MultiheadAttention}, but the key/value projections are shared by all rows of a group.
     *
     * @param hq [B,nq,H] queries; cr [B,K,H] keys = values; keyPad [B,1,K] or null
     */
    private Tensor attentionLayer(int l, Tensor hq, Tensor cr, Tensor keyPad, boolean training) {
        int h = config.hiddenDim();
        MultiheadAttentionImpl m = attn[l];
        Tensor w = m.in_proj_weight(), bias = m.in_proj_bias();
        Tensor wq = w.narrow(0, 0, h), wk = w.narrow(0, h, h), wv = w.narrow(0, 2L * h, h);
        Tensor bq = bias.narrow(0, 0, h), bk = bias.narrow(0, h, h), bv = bias.narrow(0, 2L * h, h);
        Tensor q = torch.linear(hq, wq, new TensorOptional(bq)).mul(new Scalar(1.0 / Math.sqrt(h)));
        Tensor kk = torch.linear(cr, wk, new TensorOptional(bk));
        Tensor vv = torch.linear(cr, wv, new TensorOptional(bv));
        Tensor sc = q.bmm(kk.transpose(1, 2));                                                   // [B,nq,K]
        if (keyPad != null) sc = sc.masked_fill(keyPad, new Scalar(Double.NEGATIVE_INFINITY));
        Tensor a = torch.dropout(sc.softmax(2), config.attnDropout(), training);
        Tensor o = a.bmm(vv);                                                                    // [B,nq,H]
        Tensor out = torch.linear(o, outProjWeight(m), new TensorOptional(outProjBias(m)));
        return norms[l].forward(out.add(hq));
    }

    private Tensor outProjWeight(MultiheadAttentionImpl m) {
        return params.get(attnPrefix(m) + "out_proj.weight");
    }

    private Tensor outProjBias(MultiheadAttentionImpl m) {
        return params.get(attnPrefix(m) + "out_proj.bias");
    }

    private String attnPrefix(MultiheadAttentionImpl m) {
        for (int l = 0; l < attn.length; l++) if (attn[l] == m) return "cross_attn_layers." + l + ".";
        throw new IllegalStateException("unknown attention module");
    }

    /** The layer's {@code nn.MultiheadAttention} module (for reference checks). */
    public MultiheadAttentionImpl attentionModule(int layer) { return attn[layer]; }

    // ------------------------------------------------------------------ decoder

    /** Raw scores [R,K] of step {@code t} (before the temperature and masking); the kernel applies both. */
    public Tensor stepScores(Encoded e, Tensor state, int t) {
        int b = e.groups(), n = e.rowsPerGroup(), k = e.pool(), h = config.hiddenDim();
        if (gate != null) {
            Tensor c4 = e.cands().reshape(b, e.candRows(), k, h);
            if (e.candRows() == 1) return state.reshape(b, n, h).bmm(c4.squeeze(1).transpose(1, 2)).reshape(b * n, k);
            return c4.reshape(b * n, k, h).bmm(state.unsqueeze(2)).reshape(b * n, k);
        }
        int row = Math.min(t, config.stepEmbRows() - 1);
        Tensor ht = l2normalize(state.add(stepEmb.weight().select(0, row)));
        Tensor q = attnWq.forward(ht).reshape(b, n, 1, h);                                       // [B,N,1,H]
        Tensor comb = q.add(e.candKeys()).tanh();                                                // [B,N,K,H]
        return attnV.forward(comb).reshape(b * n, k);
    }

    /** The chosen candidates' normalised vectors [R,H] for positions {@code idx} [R]. */
    public Tensor chosen(Encoded e, Tensor idx) {
        return e.cands().index_select(0, e.rowBase().add(idx));
    }

    /** The decoder state after choosing {@code chosen}: the V3 gate or the V4-5 GRU, re-normalised. */
    public Tensor nextState(Tensor state, Tensor chosen) {
        if (gate != null) {
            Tensor g = gate.forward(torch.cat(new TensorVector(state, chosen), 1)).sigmoid();
            return l2normalize(g.mul(state).add(g.neg().add(new Scalar(1.0)).mul(chosen)));
        }
        return l2normalize(gru.forward(chosen, state));
    }

    /** The initial step mask [R,K] (padding), as bool. */
    public Tensor initialMask(Encoded e) {
        if (e.padMask() != null) return e.padMask().clone();
        return torch.zeros(new long[]{e.rows(), e.pool()}, new org.bytedeco.pytorch.TensorOptions(ScalarType.Bool))
                .to(e.state().device(), ScalarType.Bool);
    }

    /** Marks {@code idx} [R] as chosen in {@code mask} [R,K] (returns a new tensor). */
    public static Tensor markChosen(Tensor mask, Tensor idx) {
        return mask.scatter(1, idx.unsqueeze(1), new Scalar(1));
    }

    /**
     * Teacher-forced log-probabilities [R,S] of the label sequences [R,S] (int64, pool positions): step t scores,
     * masks chosen and padded positions at -100 and takes log_softmax at the label, through the pointer kernel
     * (exact gradient with respect to the scores).
     */
    public Tensor teacherForcedLogprobs(Encoded e, Tensor labels) {
        int steps = (int) labels.size(1);
        Tensor state = e.state();
        Tensor mask = initialMask(e);
        Tensor[] out = new Tensor[steps];
        for (int t = 0; t < steps; t++) {
            Tensor idx = labels.select(1, t).contiguous();
            Tensor sc = stepScores(e, state, t);
            out[t] = Kernels.pointerStepLogprobsDifferentiable(sc, mask, idx, config.temperature());
            if (t + 1 < steps) {
                mask = markChosen(mask, idx);
                state = nextState(state, chosen(e, idx));
            }
        }
        return torch.stack(new TensorVector(out), 1);
    }

    /**
     * Teacher-forced masked logits [R,S,K] ({@code scores / temperature}, chosen and padded positions at -100),
     * for losses that need every class (label smoothing) and for the score report.
     */
    public Tensor teacherForcedLogits(Encoded e, Tensor labels) {
        int steps = (int) labels.size(1);
        Tensor state = e.state();
        Tensor mask = initialMask(e);
        Tensor[] out = new Tensor[steps];
        for (int t = 0; t < steps; t++) {
            Tensor idx = labels.select(1, t).contiguous();
            out[t] = stepScores(e, state, t).mul(invTemperature).masked_fill(mask, new Scalar(MASKED_LOGIT));
            if (t + 1 < steps) {
                mask = markChosen(mask, idx);
                state = nextState(state, chosen(e, idx));
            }
        }
        return torch.stack(new TensorVector(out), 1);
    }

    /** Weight products the inference path folds together; recomputed after any parameter change it can see. */
    private volatile InferenceWeights inferenceWeights;

    private record InferenceWeights(Tensor candFused, Tensor[] wqScaled, Tensor[] bqScaled, Tensor[] keyBack, Tensor[] valFused) {}

    /** Drops the inference path's folded weights (called by {@link #copyFrom} and {@code train(true)}). */
    public void invalidateInferenceCache() { inferenceWeights = null; }

    private InferenceWeights inferenceWeights() {
        InferenceWeights w = inferenceWeights;
        if (w != null) return w;
        synchronized (this) {
            if (inferenceWeights != null) return inferenceWeights;
            try (org.bytedeco.pytorch.AutoGradMode noGrad = new org.bytedeco.pytorch.AutoGradMode(false);
                 org.bytedeco.javacpp.PointerScope scope = new org.bytedeco.javacpp.PointerScope()) {
                int h = config.hiddenDim(), nl = attn.length;
                Tensor win = inputProj == null ? null : inputProj.weight();                        // [H,d]
                Tensor cf = win == null ? candProj.weight().clone() : candProj.weight().mm(win);  // [H,d]: Wc·Win
                Tensor[] wq = new Tensor[nl], bq = new Tensor[nl], kb = new Tensor[nl], vf = new Tensor[nl];
                double sc = 1.0 / Math.sqrt(h);
                for (int l = 0; l < nl; l++) {
                    wq[l] = inWq[l].mul(new Scalar(sc));                                          // scaled query projection
                    bq[l] = inBq[l].mul(new Scalar(sc));
                    kb[l] = win == null ? inWk[l].clone() : inWk[l].mm(win);                      // [H,d]: Wk·Win
                    vf[l] = win == null ? inWv[l].clone() : inWv[l].mm(win);                      // [H,d]: Wv·Win
                }
                InferenceWeights nw = new InferenceWeights(keep(scope, cf), keep(scope, wq), keep(scope, bq), keep(scope, kb), keep(scope, vf));
                inferenceWeights = nw;
                return nw;
            }
        }
    }

    /** One extra reference: the scope's close drops its own, ours stays until close(). (PointerScope.detach would
     *  release the only reference and free the tensor at once.) */
    private static Tensor keep(org.bytedeco.javacpp.PointerScope scope, Tensor t) {
        t.retainReference();
        return t;
    }

    private static Tensor[] keep(org.bytedeco.javacpp.PointerScope scope, Tensor[] ts) {
        for (Tensor t : ts) keep(scope, t);
        return ts;
    }

    /**
     * Greedy selection in eval mode without autograd: the inference fast path. At one query per call the cost is
     * the pool's projections, so they are folded: keys and values of every attention layer are linear in the raw
     * pool embeddings, so the attention scores are {@code (Win^T Wk^T q)·x_j + q·b_k} and its output
     * {@code Wv Win (Σ a_j x_j) + b_v} (the weights sum to 1), and the candidates are {@code normalize((Wc Win) x_j)};
     * the gate's candidate half is applied to the chosen candidate only. The only pool-sized product left is
     * {@code [K,d]·[d,H]}. Same selections as {@link SelectorDecoder#greedy} up to float rounding (tested);
     * V4-5 uses the generic decoder.
     *
     * @param query [d]; pool [K,d]
     * @return pool positions, in prompt order
     */
    public int[] greedyInference(Tensor query, Tensor pool, int shots) {
        return greedyInference(query, pool, null, shots);
    }

    /**
     * The projected, normalised candidates {@code normalize(Wc Win x)} [N,H] of an embedding matrix [N,d]: what
     * {@link #greedyInference(Tensor, Tensor, Tensor, int)} can reuse for pools drawn from a fixed candidate set.
     */
    public Tensor projectCandidates(Tensor embeddings) {
        try (org.bytedeco.pytorch.AutoGradMode noGrad = new org.bytedeco.pytorch.AutoGradMode(false)) {
            return l2normalize(embeddings.mm(inferenceWeights().candFused().t()));
        }
    }

    /**
     * As {@link #greedyInference(Tensor, Tensor, int)}, with the pool's projected candidates [K,H] precomputed by
     * {@link #projectCandidates} (null: computed here).
     */
    public int[] greedyInference(Tensor query, Tensor pool, Tensor projectedPool, int shots) {
        int k = (int) pool.size(0);
        if (shots < 1 || shots > k) throw new IllegalArgumentException("shots must be in [1, pool size " + k + "], got " + shots);
        if (gate == null || isTraining())
            return SelectorDecoder.greedy(this, query.unsqueeze(0), pool.unsqueeze(0), shots).positions();
        InferenceWeights w = inferenceWeights();
        Tensor hq = inputProj == null ? query : inputProj.weight().mv(query);                             // [H]
        for (int l = 0; l < attn.length; l++) {
            Tensor q = torch.addmv(w.bqScaled()[l], w.wqScaled()[l], hq);                                  // scaled q
            Tensor u = w.keyBack()[l].t().mv(q);                                                          // [d]
            Tensor a = torch.addmv(q.dot(inBk[l]).expand(k), pool, u).softmax(0);                          // [K]
            Tensor mixed = pool.t().mv(a);                                                                // [d]
            Tensor o = torch.addmv(inBv[l], w.valFused()[l], mixed);                                      // [H]
            Tensor out = torch.addmv(params.get("cross_attn_layers." + l + ".out_proj.bias"),
                    params.get("cross_attn_layers." + l + ".out_proj.weight"), o);
            hq = norms[l].forward(out.add(hq));
        }
        Tensor s = l2normalize(queryProj.weight().mv(hq));                                                // [H]
        Tensor c = projectedPool != null ? projectedPool : l2normalize(pool.mm(w.candFused().t()));     // [K,H]
        Tensor bias = torch.zeros(k).to(pool.device(), ScalarType.Float);
        int[] out = new int[shots];
        for (int t = 0; t < shots; t++) {
            Tensor sc = torch.addmv(bias, c, s);
            int idx = (int) sc.argmax().item_long();
            out[t] = idx;
            if (t + 1 == shots) break;
            bias.narrow(0, idx, 1).fill_(negInf);
            Tensor chosen = c.select(0, idx);
            Tensor g = torch.addmv(torch.addmv(gate.bias(), gateWc, chosen), gateWs, s).sigmoid_();
            s = l2normalize(torch.lerp(chosen, s, g));
        }
        return out;
    }

    @Override public void close() {
        InferenceWeights w = inferenceWeights;
        if (w != null) {
            w.candFused().releaseReference();
            for (Tensor[] ts : new Tensor[][]{w.wqScaled(), w.bqScaled(), w.keyBack(), w.valFused()}) for (Tensor t : ts) t.releaseReference();
            inferenceWeights = null;
        }
        for (int i = owned.size() - 1; i >= 0; i--) owned.get(i).releaseReference();
        owned.clear();
    }
}
