package org.leverplus.clip;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.global.torch;
import org.leverplus.vlm.model.ParameterLoader;
import org.leverplus.vlm.model.Tensors;

import java.util.ArrayList;
import java.util.List;

/**
 * CLIPVisionTransformer + visual_projection: patch convolution (stride = patch, no bias), class token prepended,
 * position embeddings added, {@code pre_layrnorm} (transformers' spelling), encoder without a mask, the class token's
 * state through {@code post_layernorm}, projection without bias.
 */
final class ClipVisionTower {
    private final ClipConfig.Vision cfg;
    private final Tensor classEmbedding;     // (h)
    private final Tensor patchEmbedding;     // (h, C, P, P)
    private final Tensor positionEmbedding;  // (positions, h)
    private final Tensor preLnW, preLnB, postLnW, postLnB; // (h)
    private final List<ClipEncoderLayer> layers;
    private final Tensor projection;         // (proj, h)
    final boolean preLayerNorm;              // false only in negative-control tests

    ClipVisionTower(ParameterLoader p, ClipConfig.Vision v, int proj, boolean preLayerNorm) {
        this.cfg = v;
        long h = v.hiddenSize();
        classEmbedding = p.load("vision_model.embeddings.class_embedding", h);
        patchEmbedding = p.load("vision_model.embeddings.patch_embedding.weight", h, v.channels(), v.patchSize(), v.patchSize());
        positionEmbedding = p.load("vision_model.embeddings.position_embedding.weight", v.positions(), h);
        preLnW = p.load("vision_model.pre_layrnorm.weight", h);
        preLnB = p.load("vision_model.pre_layrnorm.bias", h);
        layers = new ArrayList<>();
        for (int i = 0; i < v.layers(); i++)
            layers.add(ClipEncoderLayer.load(p, "vision_model.encoder.layers." + i + ".", h, v.intermediateSize(), v.heads(), v.layerNormEps(), v.act()));
        postLnW = p.load("vision_model.post_layernorm.weight", h);
        postLnB = p.load("vision_model.post_layernorm.bias", h);
        projection = p.load("visual_projection.weight", proj, h);
        this.preLayerNorm = preLayerNorm;
    }

    /** pixels [B, C, S, S] in the model's dtype and device. Returns {pooled [B, h], embeds [B, proj]}. */
    Tensor[] forward(Tensor pixels) {
        long b = pixels.size(0), h = cfg.hiddenSize();
        if (pixels.dim() != 4 || pixels.size(1) != cfg.channels() || pixels.size(2) != cfg.imageSize() || pixels.size(3) != cfg.imageSize())
            throw new IllegalArgumentException("pixel_values: expected [B, " + cfg.channels() + ", " + cfg.imageSize() + ", " + cfg.imageSize()
                    + "] but found " + java.util.Arrays.toString(pixels.sizes().vec().get()));
        Tensor patches = torch.conv2d(pixels, patchEmbedding, new TensorOptional(), new long[]{cfg.patchSize(), cfg.patchSize()},
                new long[]{0, 0}, new long[]{1, 1}, 1).flatten(2, -1).transpose(1, 2);       // [B, n, h]
        Tensor cls = classEmbedding.view(1, 1, h).expand(b, 1, h);
        Tensor x = Tensors.cat(1, cls, patches).add(positionEmbedding);
        if (preLayerNorm) x = ClipEncoderLayer.layerNorm(x, preLnW, preLnB, cfg.layerNormEps());
        for (ClipEncoderLayer layer : layers) x = layer.forward(x, false);
        Tensor pooled = ClipEncoderLayer.layerNorm(x.select(1, 0), postLnW, postLnB, cfg.layerNormEps());
        return new Tensor[]{pooled, Tensors.linear(pooled, projection, null)};
    }
}
