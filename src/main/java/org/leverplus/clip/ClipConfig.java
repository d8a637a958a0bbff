package org.leverplus.clip;

import org.leverplus.hf.ConfigJson;

import java.io.IOException;
import java.nio.file.Path;

/**
 * A CLIP snapshot's {@code config.json}: a full {@code CLIPModel} ({@code model_type "clip"}, nested
 * {@code text_config} and {@code vision_config}) or one tower alone ({@code "clip_text_model"} for
 * {@code CLIPTextModelWithProjection}, {@code "clip_vision_model"} for {@code CLIPVisionModelWithProjection}, flat).
 * Absent keys take transformers' defaults ({@code CLIPTextConfig} / {@code CLIPVisionConfig}: ViT-B/32's shapes,
 * quick_gelu, {@code eos_token_id} 49407). A tower the snapshot does not hold is null.
 */
public record ClipConfig(Text text, Vision vision, int projectionDim) {
    public static final String FILE = "config.json";
    /**
     * transformers' {@code CLIPTextConfig} default {@code eos_token_id} (the real {@code <|endoftext|>}), which applies
     * when {@code config.json} has no such key (save_pretrained leaves default values out). Not 2: that is the value
     * the OpenAI configs spell out, and it selects a different pooling rule.
     */
    public static final int DEFAULT_EOS_TOKEN_ID = 49407;

    public ClipConfig {
        if (text == null && vision == null) throw new IllegalArgumentException("CLIP config has neither a text nor a vision tower");
        if (projectionDim <= 0) throw new IllegalArgumentException("projection_dim must be positive but was " + projectionDim);
    }

    /**
     * @param eosTokenId selects the pooling rule: 2 (the value in the OpenAI configs) means "argmax of the ids",
     *                   anything else "first position holding this id" (see {@link ClipTextTower})
     */
    public record Text(int vocabSize, int hiddenSize, int intermediateSize, int layers, int heads, int maxPositions,
                       double layerNormEps, Activation act, int eosTokenId) {
        public Text {
            if (hiddenSize % heads != 0)
                throw new IllegalArgumentException("text_config: hidden_size " + hiddenSize + " is not a multiple of num_attention_heads " + heads);
        }

        public int headDim() { return hiddenSize / heads; }
    }

    public record Vision(int hiddenSize, int intermediateSize, int layers, int heads, int imageSize, int patchSize,
                         int channels, double layerNormEps, Activation act) {
        public Vision {
            if (hiddenSize % heads != 0)
                throw new IllegalArgumentException("vision_config: hidden_size " + hiddenSize + " is not a multiple of num_attention_heads " + heads);
            if (imageSize % patchSize != 0)
                throw new IllegalArgumentException("vision_config: image_size " + imageSize + " is not a multiple of patch_size " + patchSize);
        }

        public int headDim() { return hiddenSize / heads; }

        /** Patches per image plus the class token. */
        public int positions() { return (imageSize / patchSize) * (imageSize / patchSize) + 1; }
    }

    /** The MLP activation ({@code hidden_act}). */
    public enum Activation {
        /** {@code x * sigmoid(1.702 x)}: the OpenAI checkpoints. */
        QUICK_GELU,
        /** exact (erf) GELU. */
        GELU;

        static Activation parse(ConfigJson j) {
            String s = j.optString("hidden_act", "quick_gelu");
            return switch (s) {
                case "quick_gelu" -> QUICK_GELU;
                case "gelu" -> GELU;
                default -> throw j.bad("hidden_act", "\"quick_gelu\" or \"gelu\"", j.root().get("hidden_act"));
            };
        }
    }

    public boolean hasText() { return text != null; }

    public boolean hasVision() { return vision != null; }

    public static ClipConfig read(Path file) throws IOException {
        ConfigJson j = ConfigJson.read(file);
        String type = j.optString("model_type", "clip");
        return switch (type) {
            case "clip" -> {
                ConfigJson t = j.child("text_config"), v = j.child("vision_config");
                yield new ClipConfig(text(t != null ? t : new ConfigJson(file, ConfigJson.emptyObject())),
                        vision(v != null ? v : new ConfigJson(file, ConfigJson.emptyObject())), j.optInt("projection_dim", 512));
            }
            case "clip_text_model" -> new ClipConfig(text(j), null, j.optInt("projection_dim", 512));
            case "clip_vision_model" -> new ClipConfig(null, vision(j), j.optInt("projection_dim", 512));
            default -> throw j.bad("model_type", "\"clip\", \"clip_text_model\" or \"clip_vision_model\"", j.root().get("model_type"));
        };
    }

    private static Text text(ConfigJson j) {
        return new Text(j.optInt("vocab_size", 49408), j.optInt("hidden_size", 512), j.optInt("intermediate_size", 2048),
                j.optInt("num_hidden_layers", 12), j.optInt("num_attention_heads", 8), j.optInt("max_position_embeddings", 77),
                j.optDouble("layer_norm_eps", 1e-5), Activation.parse(j), j.optInt("eos_token_id", DEFAULT_EOS_TOKEN_ID));
    }

    private static Vision vision(ConfigJson j) {
        return new Vision(j.optInt("hidden_size", 768), j.optInt("intermediate_size", 3072), j.optInt("num_hidden_layers", 12),
                j.optInt("num_attention_heads", 12), j.optInt("image_size", 224), j.optInt("patch_size", 32),
                j.optInt("num_channels", 3), j.optDouble("layer_norm_eps", 1e-5), Activation.parse(j));
    }
}
