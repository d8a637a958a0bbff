package org.leverplus.vlm.engine;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.leverplus.torch.TensorScope;
import org.leverplus.vlm.model.KvCache;
import org.leverplus.vlm.model.ModelDims;
import org.leverplus.vlm.model.Qwen25VlModel;
import org.leverplus.vlm.model.Tensors;
import org.leverplus.vlm.image.ImageGrid;
import org.leverplus.vlm.text.MRopeIndex;
import org.leverplus.vlm.text.PositionIds;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The runtime around a loaded model: turns prompts into decoder inputs (with the image-embedding cache), runs padded
 * batches of prompt continuations on top of a KV cache, and keeps shared-prefix KV caches. Scoring and generation
 * ({@link VlmScorer}, {@link VlmGenerator}) are built on it. Not thread-safe.
 */
public final class VlmEngine implements AutoCloseable {
    private final Qwen25VlModel model;
    private final EngineOptions options;
    private final ImageEmbeddingCache images;
    private final Map<String, Long> imageIds = new HashMap<>();
    private final LinkedHashMap<PrefixKey, KvCache> prefixes = new LinkedHashMap<>(16, 0.75f, true);
    private final Device device;
    private long prefixHits, prefixMisses, visionCalls, visionBatches, tokensComputed, decodeTokens,
            generatedPrompts, scoredPrompts, scoreTokens;

    public VlmEngine(Qwen25VlModel model, EngineOptions options) {
        this.model = model;
        this.options = options;
        this.images = options.imageCache() ? new ImageEmbeddingCache(options.imageCacheBytes()) : null;
        this.device = Tensors.retain(model.options().torchDevice());
    }

    public Qwen25VlModel model() { return model; }

    public EngineOptions options() { return options; }

    public ModelDims dims() { return model.dims(); }

    /** Positions and prefix signature of a prompt (no tensors: embeddings are made per micro-batch by {@link #embed}). */
    PreparedPrompt prepare(Prompt p) {
        ModelDims d = model.dims();
        int[] ids = p.ids();
        int merge = d.vision().mergeSize();
        List<ImageGrid> grids = new ArrayList<>();
        for (ImageInput im : p.images()) grids.add(new ImageGrid(im.grid()[0], im.grid()[1], im.grid()[2]));
        PositionIds pos = MRopeIndex.compute(ids, grids, d.imageTokenId(), merge);
        long[] content = new long[ids.length];
        for (int i = 0; i < ids.length; i++) content[i] = ids[i];
        int i = 0;
        for (ImageInput im : p.images()) {
            while (ids[i] != d.imageTokenId()) i++;
            int n = im.tokens(merge);
            long sig = (1L << 40) + imageIds.computeIfAbsent(im.key(), k -> (long) imageIds.size()) * (1L << 20);
            for (int k = 0; k < n; k++) content[i + k] = sig + k;
            i += n;
        }
        return new PreparedPrompt(p, pos, content);
    }

    /**
     * Makes the input embeddings [L, hidden] of a prepared prompt (token embeddings with the image rows scattered in)
     * in the caller's scope, unless it has them already.
     */
    void embed(PreparedPrompt pp) {
        if (pp.embeds() != null) return;
        ModelDims d = model.dims();
        Prompt p = pp.prompt();
        int[] ids = p.ids();
        long[] idsL = new long[ids.length];
        for (int i = 0; i < ids.length; i++) idsL[i] = ids[i];
        Tensor embeds = model.text().embed(Tensors.longs(idsL, device, ids.length));
        int merge = d.vision().mergeSize(), i = 0;
        for (ImageInput im : p.images()) {
            while (ids[i] != d.imageTokenId()) i++;
            int n = im.tokens(merge);
            // copy right away: a later put may evict this entry from the cache
            embeds.narrow(0, i, n).copy_(imageEmbedding(im));
            i += n;
        }
        pp.embeds(embeds);
    }

    /** The vision-tower output [tokens, hidden] of one image (from the cache when enabled). */
    Tensor imageEmbedding(ImageInput im) {
        if (images == null) return encode(im);
        Tensor t = images.get(im.key());
        if (t != null) return t;
        try (TensorScope s = TensorScope.open()) {
            t = Tensors.retain(encode(im));
        }
        images.put(im.key(), t);
        return t;
    }

    /**
     * Runs the vision tower for every image of {@code ims} that is not cached yet, several images per pass (up to
     * {@code maxBatchTokens} patches), and caches the results, so that later prompts find them. Without the image cache
     * this does nothing (each occurrence is encoded where it is used). Every image's attention stays within its own
     * windows, so an image's embedding does not depend on the others in its pass (a test checks this bit for bit).
     */
    public void encodeImages(List<ImageInput> ims) {
        if (images == null) return;
        LinkedHashMap<String, ImageInput> todo = new LinkedHashMap<>();
        for (ImageInput im : ims) if (!images.contains(im.key())) todo.putIfAbsent(im.key(), im);
        List<ImageInput> batch = new ArrayList<>();
        long patches = 0;
        for (ImageInput im : todo.values()) {
            long p = (long) im.grid()[0] * im.grid()[1] * im.grid()[2];
            if (!batch.isEmpty() && patches + p > options.maxBatchTokens()) {
                encodeBatch(batch);
                batch.clear();
                patches = 0;
            }
            batch.add(im);
            patches += p;
        }
        if (!batch.isEmpty()) encodeBatch(batch);
    }

    private void encodeBatch(List<ImageInput> batch) {
        if (batch.size() == 1) {
            imageEmbedding(batch.get(0));
            return;
        }
        int merge = model.dims().vision().mergeSize();
        try (TensorScope s = TensorScope.open()) {
            Tensor[] pv = new Tensor[batch.size()];
            List<int[]> grids = new ArrayList<>();
            for (int i = 0; i < pv.length; i++) {
                pv[i] = batch.get(i).pixelValues();
                grids.add(batch.get(i).grid());
            }
            visionCalls += batch.size();
            visionBatches++;
            Tensor out = model.visual().forward(Tensors.cat(0, pv), grids);
            long row = 0;
            for (ImageInput im : batch) {
                int n = im.tokens(merge);
                Tensor t = Tensors.retain(out.narrow(0, row, n).clone());
                row += n;
                images.put(im.key(), t);
            }
        }
    }

    /** Vision-tower calls that encoded more than one image (see {@link #encodeImages}). */
    public long visionBatches() { return visionBatches; }

    private Tensor encode(ImageInput im) {
        visionCalls++;
        return model.visual().forward(im.pixelValues(), List.of(im.grid()));
    }

    /**
     * The KV cache (batch 1) of the first {@code length} tokens of {@code p}, computed once and remembered (LRU) when
     * the prefix cache is on; the returned cache is owned by the engine: expand or select it, never close it.
     */
    KvCache prefix(PreparedPrompt p, int length) {
        long[] content = Arrays.copyOf(p.content(), length);
        PrefixKey key = new PrefixKey(content);
        KvCache c = prefixes.get(key);
        if (c != null) { prefixHits++; return c; }
        prefixMisses++;
        // extend the longest remembered prefix of this one (e.g. the system prompt under system prompt + candidate)
        KvCache base = null;
        int baseLen = 0;
        for (Map.Entry<PrefixKey, KvCache> e : prefixes.entrySet()) {
            long[] k = e.getKey().content();
            if (k.length > baseLen && k.length < length && Arrays.equals(k, 0, k.length, content, 0, k.length)) {
                base = e.getValue();
                baseLen = k.length;
            }
        }
        try (TensorScope s = TensorScope.open()) {
            if (base != null) {
                c = base.select(Tensors.longs(new long[]{0}, device, 1)); // a copy: the base entry stays as it is
            } else {
                c = new KvCache(model.dims().layers());
            }
            forward(List.of(p), baseLen, length, c, false);
            c.retain();
        }
        prefixes.put(key, c);
        while (prefixes.size() > Math.max(1, options.prefixCacheEntries())) {
            var it = prefixes.entrySet().iterator();
            KvCache old = it.next().getValue();
            it.remove();
            old.close();
        }
        return c;
    }

    /** Result of a batch forward: hidden [B, Lmax, hidden] and, per row, the column of absolute token {@code from}. */
    record Batch(Tensor hidden, int[] column, int from) {
        /** Column of absolute token {@code j} of row {@code r}. */
        int col(int r, int j) { return column[r] + j - from; }
    }

    /**
     * Runs tokens [from, L_r) of every prompt on top of {@code cache} (whose length must be {@code from} for every
     * row, e.g. an expanded shared prefix, or empty with from = 0), padding to the longest row.
     */
    Batch forward(List<PreparedPrompt> rows, int from, KvCache cache, boolean padLeft) {
        return forward(rows, from, Integer.MAX_VALUE, cache, padLeft);
    }

    /** As {@link #forward(List, int, KvCache, boolean)} for tokens [from, min(to, L_r)). */
    Batch forward(List<PreparedPrompt> rows, int from, int to, KvCache cache, boolean padLeft) {
        int b = rows.size(), lmax = 0;
        for (PreparedPrompt p : rows) lmax = Math.max(lmax, Math.min(to, p.length()) - from);
        long hidden = model.dims().hidden();
        Tensor embeds = torch.zeros(new long[]{b, lmax, hidden}, new TensorOptions(model.options().dtype()).device(new org.bytedeco.pytorch.DeviceOptional(device)));
        long[] pos = new long[3 * b * lmax];
        Arrays.fill(pos, 1);
        long[] valid = new long[b * lmax];
        int[] column = new int[b];
        for (int r = 0; r < b; r++) {
            PreparedPrompt p = rows.get(r);
            int len = Math.min(to, p.length()) - from;
            int off = padLeft ? lmax - len : 0;
            column[r] = off;
            tokensComputed += len;
            embed(p);
            embeds.select(0, r).narrow(0, off, len).copy_(p.embeds().narrow(0, from, len));
            long[][] mp = p.positions().positions();
            for (int j = 0; j < len; j++) {
                int c = r * lmax + off + j;
                pos[c] = mp[0][from + j];
                pos[b * lmax + c] = mp[1][from + j];
                pos[2 * b * lmax + c] = mp[2][from + j];
                valid[c] = 1;
            }
        }
        Tensor positions = Tensors.longs(pos, device, 3, b, lmax);
        Tensor validT = Tensors.longs(valid, device, b, lmax).to(ScalarType.Bool);
        Tensor h = model.text().forward(embeds, positions, validT, cache);
        return new Batch(h, column, from);
    }

    public long prefixHits() { return prefixHits; }

    public long prefixMisses() { return prefixMisses; }

    /** Vision-tower passes so far (one per image not found in the cache). */
    public long visionCalls() { return visionCalls; }

    /** Prompt tokens run through the decoder so far (padding excluded; shared prefixes counted once per pass). */
    public long tokensComputed() { return tokensComputed; }

    /** Generated-token rows fed through the decoder so far (one per running beam per decode step). */
    public long decodeTokens() { return decodeTokens; }

    void countDecoded(int rows) { decodeTokens += rows; }

    /** Prompts generated from so far ({@link VlmGenerator}). */
    public long generatedPrompts() { return generatedPrompts; }

    /** Prompts scored so far ({@link VlmScorer}). */
    public long scoredPrompts() { return scoredPrompts; }

    /** The part of {@link #tokensComputed()} spent by {@link VlmScorer}. */
    public long scoreTokens() { return scoreTokens; }

    void countGenerated(int prompts) { generatedPrompts += prompts; }

    /** Teacher-forced answers scored on a generation's own prompt cache ({@link VlmGenerator#generateAndScore}). */
    void countContinuations(int answers, long tokens) {
        tokensComputed += tokens;
        countScored(answers, tokens);
    }

    void countScored(int prompts, long tokens) {
        scoredPrompts += prompts;
        scoreTokens += tokens;
    }

    public ImageEmbeddingCache imageCache() { return images; }

    /** Drops the remembered prefix KV caches. */
    public void clearPrefixes() {
        for (KvCache c : prefixes.values()) c.close();
        prefixes.clear();
    }

    /**
     * Forgets what earlier prompts left behind that changes how later prompts are ordered and batched: the prefix KV
     * caches and the numbering of images in prompt signatures (first come, first numbered; the scorer sorts prompts
     * by signature, so another numbering gives other micro-batches and other float rounding). The image-embedding
     * cache stays: an image's embedding is computed alone and does not depend on when.
     */
    public void resetPromptState() {
        clearPrefixes();
        imageIds.clear();
    }

    @Override public void close() {
        clearPrefixes();
        if (images != null) images.close();
    }

    private record PrefixKey(long[] content) {
        @Override public boolean equals(Object o) { return o instanceof PrefixKey k && Arrays.equals(k.content, content); }

        @Override public int hashCode() { return Arrays.hashCode(content); }
    }
}
