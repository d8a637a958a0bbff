package org.leverplus.hf;

import org.bytedeco.pytorch.Tensor;
import org.leverplus.io.Safetensors;
import org.leverplus.io.SafetensorsFile;
import org.leverplus.torch.TorchRuntime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Zero-copy LibTorch views of a snapshot's weights under canonical names. Each shard is memory-mapped once through
 * {@link Safetensors#open} (LibTorch {@code from_file}), so opening a 7 GB checkpoint costs page-table entries, not
 * 7 GB of heap or native memory, and pages are read on first touch.
 *
 * <p>Ownership: a returned tensor is a view that keeps its shard's mapping alive through its storage, so it stays
 * valid after {@link #close()}. The mapping is copy-on-write: writing into a view changes only this process's pages,
 * never the file. Tensors come in their stored dtype (BF16/F16/F32); convert with {@code .to(...)}.
 */
public final class SnapshotWeights implements AutoCloseable {
    private final WeightIndex index;
    private final Map<Path, SafetensorsFile> files = new HashMap<>();
    private boolean closed;

    public SnapshotWeights(WeightIndex index) {
        TorchRuntime.init();
        this.index = index;
    }

    /** The index these views come from. */
    public WeightIndex index() { return index; }

    /** Whether a canonical name exists. */
    public boolean contains(String canonicalName) { return index.contains(canonicalName); }

    /**
     * A view of the tensor with this canonical name, in its stored dtype. A missing name is an
     * IllegalArgumentException naming the shards searched.
     */
    public synchronized Tensor get(String canonicalName) {
        if (closed) throw new IllegalStateException("SnapshotWeights is closed");
        WeightEntry e = index.entry(canonicalName);
        try {
            SafetensorsFile f = files.get(e.file());
            if (f == null) {
                f = Safetensors.open(e.file());
                files.put(e.file(), f);
            }
            return f.get(e.storedName());
        } catch (IOException ex) {
            throw new UncheckedIOException(e.file() + ": cannot map tensor \"" + e.storedName() + "\": " + ex.getMessage(), ex);
        }
    }

    /** Releases this object's handles on the shards; views handed out keep their own mappings. */
    @Override public synchronized void close() {
        if (closed) return;
        closed = true;
        for (SafetensorsFile f : files.values()) f.close();
        files.clear();
    }
}
