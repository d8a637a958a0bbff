package org.leverplus.vlm.model;

import org.bytedeco.pytorch.Tensor;

/**
 * Keys and values of every decoder layer for a batch of sequences, plus which key slots are real tokens (padding is
 * masked). A batch-1 cache of a shared prefix is {@link #expand expanded} to the batch of its continuations: positions
 * and keys of a prefix depend only on the prefix, so this is exact. Beam search reorders rows with {@link #select}.
 */
public final class KvCache implements AutoCloseable {
    private final Tensor[] keys, values; // per layer [B, kvHeads, S, headDim]
    private Tensor valid;                // [B, S] bool
    private long length;
    private boolean owned;               // after retain(): this cache holds its own reference to every tensor

    public KvCache(int layers) {
        keys = new Tensor[layers];
        values = new Tensor[layers];
    }

    public long length() { return length; }

    public long batch() { return valid == null ? 0 : valid.size(0); }

    /** Key validity [B, S] (S = cached length). */
    public Tensor valid() { return valid; }

    /** Records the validity of the L new slots; called once per forward, before the layers append. */
    void appendValid(Tensor newValid) {
        valid = replace(valid, valid == null ? newValid : Tensors.cat(1, valid, newValid));
        length = valid.size(1);
    }

    /**
     * The new tensor of a slot. An owned cache takes its own reference to it and drops the one to the old tensor, so
     * the old keys are freed as soon as the scope that made them closes: a cache grown step by step inside per-step
     * scopes then holds one copy, not one per step.
     */
    private Tensor replace(Tensor old, Tensor now) {
        if (!owned || old == now) return now;
        Tensors.retain(now);
        if (old != null) old.close();
        return now;
    }

    /** Appends the new keys/values of {@code layer} and returns the full ones. */
    Tensor[] append(int layer, Tensor k, Tensor v) {
        if (keys[layer] != null) {
            k = Tensors.cat(2, keys[layer], k);
            v = Tensors.cat(2, values[layer], v);
        }
        keys[layer] = replace(keys[layer], k);
        values[layer] = replace(values[layer], v);
        return new Tensor[]{k, v};
    }

    /** A cache of the given rows (int64 indices into the batch), e.g. the surviving beams. */
    public KvCache select(Tensor rows) {
        KvCache c = new KvCache(keys.length);
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] == null) continue;
            c.keys[i] = keys[i].index_select(0, rows);
            c.values[i] = values[i].index_select(0, rows);
        }
        c.valid = valid == null ? null : valid.index_select(0, rows);
        c.length = length;
        return c;
    }

    /**
     * A cache of the given rows holding only the first {@code length} slots: a copy (the rows are gathered), e.g. a
     * batch of prompts cut back to a shared point to be continued with other tokens than the ones cached after it.
     */
    public KvCache select(Tensor rows, long length) {
        if (length < 0 || length > this.length) throw new IllegalArgumentException("cannot keep " + length + " of " + this.length + " cached slots");
        KvCache c = new KvCache(keys.length);
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] == null) continue;
            c.keys[i] = keys[i].narrow(2, 0, length).index_select(0, rows);
            c.values[i] = values[i].narrow(2, 0, length).index_select(0, rows);
        }
        c.valid = valid == null ? null : valid.narrow(1, 0, length).index_select(0, rows);
        c.length = length;
        return c;
    }

    /** A batch-{@code b} view of a batch-1 cache (no copy until the continuation appends). */
    public KvCache expand(long b) {
        if (batch() != 1) throw new IllegalStateException("expand needs a batch-1 cache, this one has batch " + batch());
        KvCache c = new KvCache(keys.length);
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] == null) continue;
            long[] s = keys[i].sizes().vec().get();
            s[0] = b;
            c.keys[i] = keys[i].expand(s);
            c.values[i] = values[i].expand(s);
        }
        c.valid = valid.expand(b, valid.size(1));
        c.length = length;
        return c;
    }

    /** Bytes held by keys and values. */
    public long bytes() {
        long n = 0;
        for (int i = 0; i < keys.length; i++)
            if (keys[i] != null) n += 2 * keys[i].numel() * keys[i].element_size();
        return n;
    }

    /**
     * Makes every tensor outlive the open scopes, now and after later appends (each append then drops the replaced
     * tensors); the caller must {@link #close} the cache.
     */
    public KvCache retain() {
        if (owned) return this;
        owned = true;
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != null) { Tensors.retain(keys[i]); Tensors.retain(values[i]); }
        }
        if (valid != null) Tensors.retain(valid);
        return this;
    }

    @Override public void close() {
        for (int i = 0; i < keys.length; i++) {
            if (keys[i] != null) { keys[i].close(); values[i].close(); }
            keys[i] = values[i] = null;
        }
        if (valid != null) valid.close();
        valid = null;
        owned = false;
    }
}
