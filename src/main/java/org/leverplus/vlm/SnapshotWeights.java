package org.leverplus.vlm;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.leverplus.torch.TorchRuntime;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Zero-copy LibTorch views of a snapshot's weights: each tensor is a read-only memory mapping of its bytes in the
 * shard, so opening a 7 GB checkpoint costs page-table entries, not 7 GB of heap or native memory.
 *
 * <p>Ownership: the returned tensors do <em>not</em> own their memory. They are valid while this object is open;
 * {@code clone()} (or {@code .to(device/dtype)}, which copies) to keep or modify one. Writing into a view crashes,
 * because the mapping is read-only. Each tensor is mapped on its own, so no mapping exceeds one tensor (the largest
 * in the 3B model is the 622 MB embedding) and the 2 GiB limit of a Java mapping never applies to whole shards.
 */
public final class SnapshotWeights implements AutoCloseable {
    private final WeightIndex index;
    private final Map<Path, FileChannel> channels = new HashMap<>();
    private final List<MappedByteBuffer> mappings = new ArrayList<>();
    private boolean closed;

    SnapshotWeights(WeightIndex index) {
        TorchRuntime.init();
        this.index = index;
    }

    /** The index these views come from. */
    public WeightIndex index() { return index; }

    /** Whether a canonical name exists. */
    public boolean contains(String canonicalName) { return index.contains(canonicalName); }

    /**
     * A read-only view of the tensor with this canonical name, in its stored dtype. A missing name is an
     * IllegalArgumentException naming the shards searched.
     */
    public synchronized Tensor get(String canonicalName) {
        if (closed) throw new IllegalStateException("SnapshotWeights is closed");
        WeightEntry e = index.entry(canonicalName);
        ScalarType st = scalarType(e.dtype());
        if (e.numel() == 0) return torch.empty(e.shape(), new TensorOptions(st), null);
        try {
            FileChannel ch = channels.get(e.file());
            if (ch == null) {
                ch = FileChannel.open(e.file(), StandardOpenOption.READ);
                channels.put(e.file(), ch);
            }
            MappedByteBuffer buf = ch.map(FileChannel.MapMode.READ_ONLY, e.start(), e.byteSize());
            mappings.add(buf);
            return torch.from_blob(new BytePointer(buf), e.shape(), new TensorOptions(st));
        } catch (IOException ex) {
            throw new UncheckedIOException(e.file() + ": cannot map tensor \"" + e.storedName() + "\": " + ex.getMessage(), ex);
        }
    }

    /**
     * The output projection: {@code lm_head.weight} when present, else the embedding matrix when the config ties
     * them; an error otherwise.
     */
    public Tensor lmHead(Qwen25VlConfig config) {
        if (contains(ExpectedWeights.LM_HEAD)) return get(ExpectedWeights.LM_HEAD);
        if (config.tieWordEmbeddings()) return get(ExpectedWeights.EMBED_TOKENS);
        throw new IllegalArgumentException("lm_head.weight not found in " + index.shards() + " and tie_word_embeddings is false");
    }

    static ScalarType scalarType(WeightDtype d) {
        return switch (d) {
            case BF16 -> ScalarType.BFloat16;
            case F16 -> ScalarType.Half;
            case F32 -> ScalarType.Float;
            case F64 -> ScalarType.Double;
            case I64 -> ScalarType.Long;
            case I32 -> ScalarType.Int;
            case I16 -> ScalarType.Short;
            case I8 -> ScalarType.Char;
            case U8 -> ScalarType.Byte;
            case BOOL -> ScalarType.Bool;
        };
    }

    /** Drops the mappings; views handed out before are invalid afterwards. */
    @Override public synchronized void close() {
        if (closed) return;
        closed = true;
        for (FileChannel ch : channels.values()) {
            try {
                ch.close();
            } catch (IOException ignored) {
                // read-only channel: nothing to flush, and the mappings stay valid until collected
            }
        }
        channels.clear();
        mappings.clear();
    }
}
