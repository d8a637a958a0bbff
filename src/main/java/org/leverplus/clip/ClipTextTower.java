package org.leverplus.clip;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.leverplus.vlm.model.ParameterLoader;
import org.leverplus.vlm.model.Tensors;

import java.util.ArrayList;
import java.util.List;

/**
 * CLIPTextTransformer + text_projection: token and position embeddings, causal encoder, final_layer_norm, the hidden
 * state at the end-of-text position, projection without bias.
 *
 * <p>End-of-text position, as transformers' {@code CLIPTextTransformer} picks it: when the config's
 * {@code eos_token_id} is 2 (what the OpenAI checkpoints' configs say, although their {@code <|endoftext|>} is 49407)
 * transformers keeps the original OpenAI rule, argmax of the ids (the first occurrence of the largest id, which is
 * {@code <|endoftext|>} because it is the last entry of the vocabulary); for any other {@code eos_token_id} it takes
 * the first position holding that id. Both rules are implemented and tested; for the real ViT-B/32 and ViT-L/14
 * snapshots the first applies. Padding needs no mask: the attention is causal, so positions after the end-of-text
 * token never reach the pooled state.
 */
final class ClipTextTower {
    private final ClipConfig.Text cfg;
    private final Tensor tokenEmbedding;     // (vocab, h)
    private final Tensor positionEmbedding;  // (maxPositions, h)
    private final List<ClipEncoderLayer> layers;
    private final Tensor finalLnW, finalLnB; // (h)
    private final Tensor projection;         // (proj, h)
    private final Device device;
    final boolean causal;                    // false only in negative-control tests
    final Pooling pooling;

    /** Which end-of-text rule; CONFIG follows eos_token_id (the others exist for negative controls). */
    enum Pooling { CONFIG, LAST_POSITION }

    ClipTextTower(ParameterLoader p, ClipConfig.Text t, int proj, boolean causal, Pooling pooling) {
        this.cfg = t;
        long h = t.hiddenSize();
        tokenEmbedding = p.load("text_model.embeddings.token_embedding.weight", t.vocabSize(), h);
        positionEmbedding = p.load("text_model.embeddings.position_embedding.weight", t.maxPositions(), h);
        layers = new ArrayList<>();
        for (int i = 0; i < t.layers(); i++)
            layers.add(ClipEncoderLayer.load(p, "text_model.encoder.layers." + i + ".", h, t.intermediateSize(), t.heads(), t.layerNormEps(), t.act()));
        finalLnW = p.load("text_model.final_layer_norm.weight", h);
        finalLnB = p.load("text_model.final_layer_norm.bias", h);
        projection = p.load("text_projection.weight", proj, h);
        device = p.device();
        this.causal = causal;
        this.pooling = pooling;
    }

    /** The pooled position of each row. */
    int[] eosPositions(int[][] ids) {
        int[] pos = new int[ids.length];
        for (int b = 0; b < ids.length; b++) {
            int[] r = ids[b];
            if (pooling == Pooling.LAST_POSITION) { pos[b] = r.length - 1; continue; }
            int best = 0;
            if (cfg.eosTokenId() == 2) {
                for (int i = 1; i < r.length; i++) if (r[i] > r[best]) best = i;   // argmax: first occurrence of the largest id
            } else {
                for (int i = r.length - 1; i >= 0; i--) if (r[i] == cfg.eosTokenId()) best = i;   // first match; 0 when none (argmax of zeros)
            }
            pos[b] = best;
        }
        return pos;
    }

    /** ids: B rows of equal length L &le; max_position_embeddings. Returns {pooled [B, h], embeds [B, proj]}. */
    Tensor[] forward(int[][] ids) {
        int b = ids.length, l = ids[0].length;
        if (l > cfg.maxPositions())
            throw new IllegalArgumentException("text of " + l + " tokens exceeds max_position_embeddings " + cfg.maxPositions() + " (truncate first)");
        long[] flat = new long[b * l];
        for (int i = 0; i < b; i++) {
            if (ids[i].length != l) throw new IllegalArgumentException("text batch rows must have equal length (pad them)");
            for (int j = 0; j < l; j++) {
                int id = ids[i][j];
                if (id < 0 || id >= cfg.vocabSize()) throw new IllegalArgumentException("token id " + id + " outside the vocabulary [0, " + cfg.vocabSize() + ")");
                flat[i * l + j] = id;
            }
        }
        Tensor idt = Tensors.longs(flat, device, b, l);
        Tensor x = torch.embedding(tokenEmbedding, idt).add(positionEmbedding.narrow(0, 0, l));
        for (ClipEncoderLayer layer : layers) x = layer.forward(x, causal);
        x = ClipEncoderLayer.layerNorm(x, finalLnW, finalLnB, cfg.layerNormEps());
        int[] pos = eosPositions(ids);
        long[] rows = new long[b];
        for (int i = 0; i < b; i++) rows[i] = (long) i * l + pos[i];
        Tensor pooled = x.reshape(b * l, cfg.hiddenSize()).index_select(0, Tensors.longs(rows, device, b));
        return new Tensor[]{pooled, Tensors.linear(pooled, projection, null)};
    }
}
