package org.leverplus.io;

import org.bytedeco.pytorch.BoolOptional;
import org.bytedeco.pytorch.LongOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.leverplus.torch.TorchRuntime;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * An open safetensors file. The whole file is memory-mapped once by LibTorch ({@code from_file}, copy-on-write), and
 * {@link #get} returns views into that mapping: no copy, no 2 GiB limit, and each tensor keeps the mapping alive
 * through its storage, so tensors stay valid after {@link #close()}. Writing into a returned tensor changes only this
 * process's copy of the page, never the file.
 */
public final class SafetensorsFile implements AutoCloseable {
    private final Path path;
    private final Safetensors.Header header;
    private Tensor bytes;  // uint8 [file size], mmap'ed

    SafetensorsFile(Path path, Safetensors.Header header) {
        TorchRuntime.init();
        this.path = path;
        this.header = header;
        long size = header.dataStart() + header.dataLength();
        this.bytes = torch.from_file(path.toString(), new BoolOptional(false), new LongOptional(size),
                new TensorOptions(ScalarType.Byte));
    }

    public Path path() { return path; }

    /** Tensor names in file (data) order. */
    public List<String> names() { return header.names(); }

    public boolean contains(String name) { return header.tensors().containsKey(name); }

    /** dtype, shape and offsets of one tensor, or null. */
    public Safetensors.TensorInfo info(String name) { return header.tensors().get(name); }

    /** Bytes of tensor data in the file. */
    public long dataBytes() { return header.dataLength(); }

    /** The {@code __metadata__} string map (empty if absent). */
    public Map<String, String> metadata() { return header.metadata(); }

    /** A zero-copy view of the named tensor; IllegalArgumentException if absent. */
    public Tensor get(String name) {
        Safetensors.TensorInfo ti = header.tensors().get(name);
        if (ti == null) throw new IllegalArgumentException(path + ": no tensor named '" + name + "'");
        if (bytes == null) throw new IllegalStateException(path + ": file is closed");
        long begin = header.dataStart() + ti.begin();
        Tensor raw = bytes.narrow(0, begin, ti.end() - ti.begin());
        if (ti.dtype().size() > 1 && begin % ti.dtype().size() != 0) raw = raw.clone();  // misaligned: copy, then view
        Tensor t = ti.dtype() == SafetensorsDtype.U8 ? raw : raw.view(ti.dtype().scalarType());
        return t.view(ti.shape());
    }

    @Override public void close() {
        if (bytes != null) {
            bytes.close();
            bytes = null;
        }
    }
}
