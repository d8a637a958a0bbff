package org.leverplus.sampler;

import org.leverplus.io.Safetensors;
import org.leverplus.io.SafetensorsDtype;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;

/**
 * Row-range reads of a one-tensor F32 [N, d] safetensors feature file ({@code lever embed}'s output), by positional
 * reads rather than a memory map, so scanning a 1.4 GB VQAv2 feature table keeps only one chunk resident.
 */
final class FeatureRows implements AutoCloseable {
    private final Path file;
    private final FileChannel ch;
    private final long dataStart;
    final int rows;
    final int dim;

    FeatureRows(Path file) throws IOException {
        this.file = file;
        Safetensors.Header h = Safetensors.readHeader(file);
        if (h.tensors().size() != 1)
            throw new IllegalArgumentException(file + ": expected exactly one tensor [N, d] but found " + h.tensors().size() + " " + h.names());
        Safetensors.TensorInfo t = h.tensors().values().iterator().next();
        if (t.dtype() != SafetensorsDtype.F32)
            throw new IllegalArgumentException(file + ": tensor \"" + t.name() + "\": dtype: expected F32 but found " + t.dtype());
        if (t.shape().length != 2 || t.shape()[0] > Integer.MAX_VALUE || t.shape()[1] > Integer.MAX_VALUE)
            throw new IllegalArgumentException(file + ": tensor \"" + t.name() + "\": shape: expected [N, d] but found " + Arrays.toString(t.shape()));
        this.rows = (int) t.shape()[0];
        this.dim = (int) t.shape()[1];
        this.dataStart = h.dataStart() + t.begin();
        this.ch = FileChannel.open(file, StandardOpenOption.READ);
    }

    /** Reads rows [first, first + count) into {@code dst} (row-major). */
    void read(int first, int count, float[] dst) throws IOException {
        long bytes = (long) count * dim * 4;
        ByteBuffer buf = ByteBuffer.allocate((int) bytes).order(ByteOrder.LITTLE_ENDIAN);
        long pos = dataStart + (long) first * dim * 4;
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos + buf.position());
            if (n < 0) throw new IOException(file + ": ends inside row " + (first + buf.position() / (dim * 4L)));
        }
        buf.flip();
        buf.asFloatBuffer().get(dst, 0, count * dim);
    }

    /** One row. */
    float[] row(int i) throws IOException {
        if (i < 0 || i >= rows) throw new IllegalArgumentException(file + ": id " + i + " outside [0, " + rows + ")");
        float[] r = new float[dim];
        read(i, 1, r);
        return r;
    }

    @Override public void close() throws IOException {
        ch.close();
    }
}
