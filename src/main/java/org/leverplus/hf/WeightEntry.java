package org.leverplus.hf;

import java.nio.file.Path;
import java.util.Arrays;

/**
 * Where one tensor of a snapshot lives: its canonical name (see {@link KeyLayout}), the name stored in the file,
 * the shard, dtype, shape and absolute byte range of its data in the shard.
 *
 * @param name       canonical name, e.g. {@code model.layers.0.self_attn.q_proj.weight}
 * @param storedName the key in the safetensors header, e.g. {@code model.language_model.layers.0.self_attn.q_proj.weight}
 * @param file       the shard
 * @param dtype      element type
 * @param shape      dimensions (empty for a scalar)
 * @param start      absolute file offset of the first data byte
 * @param end        absolute file offset one past the last data byte
 */
public record WeightEntry(String name, String storedName, Path file, WeightDtype dtype, long[] shape, long start, long end) {
    public WeightEntry {
        shape = shape.clone();
    }

    @Override public long[] shape() { return shape.clone(); }

    /** Number of elements. */
    public long numel() {
        long n = 1;
        for (long d : shape) n *= d;
        return n;
    }

    /** Bytes of data. */
    public long byteSize() { return end - start; }

    /** e.g. {@code BF16[2048, 11008]}. */
    public String describe() { return dtype + Arrays.toString(shape); }

    @Override public boolean equals(Object o) {
        return o instanceof WeightEntry w && w.name.equals(name) && w.storedName.equals(storedName) && w.file.equals(file)
                && w.dtype == dtype && Arrays.equals(w.shape, shape) && w.start == start && w.end == end;
    }

    @Override public int hashCode() { return name.hashCode() * 31 + Arrays.hashCode(shape); }

    @Override public String toString() { return name + " " + describe() + " in " + file.getFileName(); }
}
