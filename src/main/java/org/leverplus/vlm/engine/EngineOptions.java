package org.leverplus.vlm.engine;

/**
 * Switches of the engine. Every cache can be turned off; results agree with it on and off (float32: 1e-5 relative).
 *
 * @param imageCache       run the vision tower once per image key and keep the embeddings (LRU)
 * @param imageCacheBytes  memory bound of the image-embedding cache
 * @param prefixCache      compute a prefix shared by a micro-batch once and fork its KV cache
 * @param prefixCacheEntries prefix KV caches kept for later micro-batches (LRU)
 * @param minPrefix        shortest shared prefix worth a separate pass
 * @param padLeft          pad batches on the left (HF generation style) instead of the right
 * @param maxBatchTokens   memory bound of a micro-batch: rows x padded length
 * @param maxBatchSize     rows per micro-batch
 * @param fullVocabLogits  compatibility/baseline switch: compute full-vocabulary logits at every position and
 *                         log_softmax them, as the original HF loop does (for benchmarks and cross-checks only)
 */
public record EngineOptions(boolean imageCache, long imageCacheBytes, boolean prefixCache, int prefixCacheEntries, int minPrefix,
                            boolean padLeft, long maxBatchTokens, int maxBatchSize, boolean fullVocabLogits) {
    public EngineOptions {
        if (maxBatchSize < 1) throw new IllegalArgumentException("--batch-size must be >= 1, got " + maxBatchSize);
        if (maxBatchTokens < 1) throw new IllegalArgumentException("--batch-tokens must be >= 1, got " + maxBatchTokens);
        if (imageCacheBytes < 0) throw new IllegalArgumentException("image cache size must be >= 0 bytes, got " + imageCacheBytes);
        if (prefixCacheEntries < 0) throw new IllegalArgumentException("prefix cache entries must be >= 0, got " + prefixCacheEntries);
        if (minPrefix < 1) throw new IllegalArgumentException("minimum shared prefix must be >= 1 token, got " + minPrefix);
    }

    /** All caches on, 512 MiB of image embeddings, 8 remembered prefixes, 16k-token micro-batches of at most 64 rows. */
    public static EngineOptions defaults() {
        return new EngineOptions(true, 512L << 20, true, 8, 8, false, 16384, 64, false);
    }

    /** No caches and no sharing: every prompt computed in full (the reference behaviour). */
    public static EngineOptions uncached() {
        return defaults().withImageCache(false).withPrefixCache(false);
    }

    public EngineOptions withImageCache(boolean on) {
        return new EngineOptions(on, imageCacheBytes, prefixCache, prefixCacheEntries, minPrefix, padLeft, maxBatchTokens, maxBatchSize, fullVocabLogits);
    }

    public EngineOptions withPrefixCache(boolean on) {
        return new EngineOptions(imageCache, imageCacheBytes, on, prefixCacheEntries, minPrefix, padLeft, maxBatchTokens, maxBatchSize, fullVocabLogits);
    }

    public EngineOptions withPadLeft(boolean on) {
        return new EngineOptions(imageCache, imageCacheBytes, prefixCache, prefixCacheEntries, minPrefix, on, maxBatchTokens, maxBatchSize, fullVocabLogits);
    }

    public EngineOptions withBatch(long tokens, int rows) {
        return new EngineOptions(imageCache, imageCacheBytes, prefixCache, prefixCacheEntries, minPrefix, padLeft, tokens, rows, fullVocabLogits);
    }

    public EngineOptions withFullVocabLogits(boolean on) {
        return new EngineOptions(imageCache, imageCacheBytes, prefixCache, prefixCacheEntries, minPrefix, padLeft, maxBatchTokens, maxBatchSize, on);
    }
}
