package org.leverplus.vlm.model;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

import java.util.ArrayList;
import java.util.List;

/**
 * Qwen2_5_VLTextModel plus the output embedding: token embedding, decoder layers with M-RoPE, final RMSNorm. The
 * lm_head is the embedding matrix when tied (the 3B checkpoint has no lm_head.weight). Logits are never computed
 * here for whole sequences: callers ask for the rows they need.
 */
public final class Qwen2TextModel {
    private final ModelDims dims;
    private final Tensor embedTokens; // (vocab, hidden)
    private final Tensor lmHead;      // (vocab, hidden); same tensor as embedTokens when tied
    private final List<Qwen2DecoderLayer> layers;
    private final RmsNorm norm;
    private final MRope rope;
    private final ScalarType dtype;

    private Qwen2TextModel(ModelDims dims, Tensor embedTokens, Tensor lmHead, List<Qwen2DecoderLayer> layers, RmsNorm norm, ScalarType dtype) {
        this.dims = dims; this.embedTokens = embedTokens; this.lmHead = lmHead; this.layers = layers; this.norm = norm; this.dtype = dtype;
        this.rope = new MRope(dims.headDim(), dims.ropeTheta(), dims.mropeSection());
    }

    public static Qwen2TextModel load(ParameterLoader p, ModelDims d) {
        Tensor embed = p.load("model.embed_tokens.weight", d.vocab(), d.hidden());
        Tensor head;
        if (p.contains("lm_head.weight")) head = p.load("lm_head.weight", d.vocab(), d.hidden());
        else if (d.tiedEmbeddings()) head = embed;
        else throw new IllegalArgumentException("checkpoint has no lm_head.weight but tie_word_embeddings is false");
        List<Qwen2DecoderLayer> layers = new ArrayList<>();
        for (int i = 0; i < d.layers(); i++) layers.add(Qwen2DecoderLayer.load(p, i, d));
        return new Qwen2TextModel(d, embed, head, layers, RmsNorm.load(p, "model.norm", d.hidden(), d.rmsEps()), p.dtype());
    }

    /** ids (int64, any shape) -> embeddings [..., hidden]. */
    public Tensor embed(Tensor ids) {
        return torch.embedding(embedTokens, ids);
    }

    /**
     * Runs the decoder over L new positions of B sequences, appending their keys/values to {@code cache}.
     *
     * @param embeds    [B, L, hidden] in the model dtype
     * @param positions [3, B, L] int64 M-RoPE positions
     * @param valid     [B, L] bool: false for padding slots
     * @return final-normed hidden states [B, L, hidden]
     */
    public Tensor forward(Tensor embeds, Tensor positions, Tensor valid, KvCache cache) {
        long l = embeds.size(1), past = cache.length();
        cache.appendValid(valid);
        Tensor mask = attentionMask(cache.valid(), past, l);
        Tensor[] cs = rope.cosSin(positions, dtype);
        Tensor x = embeds;
        for (int i = 0; i < layers.size(); i++) x = layers.get(i).forward(x, cs[0], cs[1], mask, cache, i);
        return norm.forward(x);
    }

    /**
     * [B, 1, L, S] bool: query i (key slot past+i) sees valid keys j <= past+i. A padding query also sees itself, so
     * no row is fully masked (SDPA would return NaN there); its output is never read.
     */
    static Tensor attentionMask(Tensor keyValid, long past, long l) {
        long s = keyValid.size(1);
        TensorOptions i64 = new TensorOptions(ScalarType.Long);
        Tensor k = torch.arange(Tensors.scalar(s), i64).to(keyValid.device(), ScalarType.Long).unsqueeze(0);
        Tensor q = torch.arange(Tensors.scalar(past), Tensors.scalar(past + l), i64).to(keyValid.device(), ScalarType.Long).unsqueeze(1);
        Tensor causal = k.le(q).unsqueeze(0);
        Tensor self = k.eq(q).unsqueeze(0);
        return causal.logical_and(keyValid.unsqueeze(1)).logical_or(self).unsqueeze(1);
    }

    /** Full-vocabulary logits of the given hidden rows [N, hidden] -> [N, vocab] float32. */
    public Tensor logits(Tensor hiddenRows) {
        FlopCounter.linear(hiddenRows, lmHead, 1);
        return Tensors.as(Tensors.linear(hiddenRows, lmHead, null), ScalarType.Float);
    }

    /** The output embedding [vocab, hidden] (contiguous; the embedding matrix when tied). */
    public Tensor lmHeadWeight() { return lmHead; }

    public ModelDims dims() { return dims; }
}
