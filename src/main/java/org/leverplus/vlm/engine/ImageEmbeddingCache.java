package org.leverplus.vlm.engine;

import org.bytedeco.pytorch.Tensor;

import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Vision-tower outputs by image key, least recently used evicted first once {@code maxBytes} is exceeded. Entries are
 * owned by the cache (detached from every scope) and closed on eviction.
 */
public final class ImageEmbeddingCache implements AutoCloseable {
    private final long maxBytes;
    private final LinkedHashMap<String, Tensor> map = new LinkedHashMap<>(16, 0.75f, true);
    private long bytes;
    private long hits, misses;

    public ImageEmbeddingCache(long maxBytes) { this.maxBytes = maxBytes; }

    /** The cached embedding, or null (counts a miss). */
    public Tensor get(String key) {
        Tensor t = map.get(key);
        if (t == null) misses++; else hits++;
        return t;
    }

    /** Whether an embedding is cached (counts neither a hit nor a miss). */
    public boolean contains(String key) { return map.containsKey(key); }

    /** Stores an owned tensor (the caller has detached it from its scope). */
    public void put(String key, Tensor t) {
        Tensor old = map.put(key, t);
        if (old != null) { bytes -= size(old); old.close(); }
        bytes += size(t);
        Iterator<Map.Entry<String, Tensor>> it = map.entrySet().iterator();
        while (bytes > maxBytes && it.hasNext()) {
            Map.Entry<String, Tensor> e = it.next();
            if (e.getValue() == t) continue; // keep the newest entry even if it alone exceeds the bound
            bytes -= size(e.getValue());
            e.getValue().close();
            it.remove();
        }
    }

    public int size() { return map.size(); }

    public long bytes() { return bytes; }

    public long hits() { return hits; }

    public long misses() { return misses; }

    private static long size(Tensor t) { return t.numel() * t.element_size(); }

    @Override public void close() {
        for (Tensor t : map.values()) t.close();
        map.clear();
        bytes = 0;
    }
}
