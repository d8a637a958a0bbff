package org.leverplus.vlm.model;

import org.bytedeco.pytorch.Tensor;

/** Qwen2_5_VLDecoderLayer: {@code x += attn(input_layernorm(x)); x += mlp(post_attention_layernorm(x))}. */
public final class Qwen2DecoderLayer {
    private final RmsNorm inputLayernorm, postAttentionLayernorm;
    private final Qwen2Attention selfAttn;
    private final Qwen25VlMlp mlp;

    private Qwen2DecoderLayer(RmsNorm in, RmsNorm post, Qwen2Attention attn, Qwen25VlMlp mlp) {
        this.inputLayernorm = in; this.postAttentionLayernorm = post; this.selfAttn = attn; this.mlp = mlp;
    }

    public static Qwen2DecoderLayer load(ParameterLoader p, int index, ModelDims d) {
        String pre = "model.layers." + index + ".";
        return new Qwen2DecoderLayer(RmsNorm.load(p, pre + "input_layernorm", d.hidden(), d.rmsEps()),
                RmsNorm.load(p, pre + "post_attention_layernorm", d.hidden(), d.rmsEps()),
                Qwen2Attention.load(p, pre + "self_attn.", d), Qwen25VlMlp.load(p, pre + "mlp.", d.hidden(), d.intermediate(), false));
    }

    public Tensor forward(Tensor x, Tensor cos, Tensor sin, Tensor mask, KvCache cache, int layer) {
        x = x.add(selfAttn.forward(inputLayernorm.forward(x), cos, sin, mask, cache, layer));
        return x.add(mlp.forward(postAttentionLayernorm.forward(x)));
    }
}
