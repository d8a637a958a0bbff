package org.leverplus.data;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.leverplus.io.AtomicOutput;
import org.leverplus.io.JsonSupport;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * An embedding matrix [N, d] float32 whose row i belongs to dataset item i (the global id): stored as a safetensors
 * file holding exactly one tensor (default name {@value #TENSOR_NAME}), read memory-mapped. NumPy {@code .npy} files
 * ({@code <f4}, {@code >f4}, {@code <f8}; C order; 2-D) are imported by streaming conversion.
 *
 * <p>Pure Java (no LibTorch), so data tools can use it without native libraries; the bytes are the standard
 * safetensors layout (8-byte little-endian header length, JSON header padded with spaces to 8 bytes, raw data).
 */
public final class Embeddings {
    /** The tensor name this project writes. */
    public static final String TENSOR_NAME = "embeddings";

    private final int rows;
    private final int dim;
    private final FloatBuffer data;
    private final Map<String, String> metadata;

    private Embeddings(int rows, int dim, FloatBuffer data, Map<String, String> metadata) {
        this.rows = rows;
        this.dim = dim;
        this.data = data;
        this.metadata = Map.copyOf(metadata);
    }

    /** An in-memory matrix (row-major, {@code rows·dim} values). */
    public static Embeddings of(int rows, int dim, float[] values) {
        if ((long) rows * dim != values.length)
            throw new IllegalArgumentException("embeddings: expected " + rows + "x" + dim + " = " + (long) rows * dim + " values but found " + values.length);
        return new Embeddings(rows, dim, FloatBuffer.wrap(values.clone()).asReadOnlyBuffer(), Map.of());
    }

    public int rows() {
        return rows;
    }

    public int dim() {
        return dim;
    }

    /** The safetensors {@code __metadata__} (empty for in-memory or .npy data). */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** Copies row {@code i} into a new array. */
    public float[] row(int i) {
        if (i < 0 || i >= rows) throw new IndexOutOfBoundsException("embeddings: row " + i + " outside [0, " + rows + ")");
        float[] out = new float[dim];
        data.get((int) ((long) i * dim), out, 0, dim);
        return out;
    }

    /** Value (i, j). */
    public float get(int i, int j) {
        return data.get((int) ((long) i * dim + j));
    }

    /**
     * Reads a safetensors file with exactly one F32 [N, d] tensor (memory-mapped, read-only). The header is parsed and
     * validated by {@link org.leverplus.io.Safetensors#readHeader} (pure Java, no LibTorch).
     */
    public static Embeddings readSafetensors(Path file) throws IOException {
        org.leverplus.io.Safetensors.Header header = org.leverplus.io.Safetensors.readHeader(file);
        if (header.tensors().size() != 1)
            throw new IllegalArgumentException(file + ": expected exactly one tensor but found " + header.tensors().size() + " " + header.names());
        org.leverplus.io.Safetensors.TensorInfo t = header.tensors().values().iterator().next();
        if (t.dtype() != org.leverplus.io.SafetensorsDtype.F32)
            throw new IllegalArgumentException(file + ": tensor \"" + t.name() + "\": dtype: expected F32 but found " + t.dtype());
        if (t.shape().length != 2)
            throw new IllegalArgumentException(file + ": tensor \"" + t.name() + "\": shape: expected [N, d] but found " + java.util.Arrays.toString(t.shape()));
        if (t.numel() > Integer.MAX_VALUE)
            throw new IllegalArgumentException(file + ": tensor \"" + t.name() + "\" has " + t.numel() + " values; more than 2^31 is not supported");
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            FloatBuffer fb = ch.map(FileChannel.MapMode.READ_ONLY, header.dataStart() + t.begin(), t.end() - t.begin())
                    .order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer();
            return new Embeddings((int) t.shape()[0], (int) t.shape()[1], fb, header.metadata());
        }
    }

    /** Writes this matrix as safetensors (atomically). */
    public void writeSafetensors(Path out, Map<String, String> meta, boolean overwrite) throws IOException {
        try (AtomicOutput o = AtomicOutput.create(out, overwrite)) {
            OutputStream s = o.stream();
            writeHeader(s, rows, dim, meta);
            ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
            long total = (long) rows * dim;
            for (long i = 0; i < total; i++) {
                if (buf.remaining() < 4) {
                    s.write(buf.array(), 0, buf.position());
                    buf.clear();
                }
                buf.putFloat(data.get((int) i));
            }
            s.write(buf.array(), 0, buf.position());
            o.commit();
        }
    }

    /** Writes the safetensors header of a one-tensor F32 [rows, dim] file (the data follows, row-major little-endian). */
    public static void writeHeader(OutputStream s, long rows, long dim, Map<String, String> meta) throws IOException {
        ObjectNode h = JsonSupport.mapper().createObjectNode();
        if (meta != null && !meta.isEmpty()) {
            ObjectNode m = h.putObject("__metadata__");
            meta.forEach(m::put);
        }
        ObjectNode t = h.putObject(TENSOR_NAME);
        t.put("dtype", "F32");
        t.putArray("shape").add(rows).add(dim);
        t.putArray("data_offsets").add(0).add(rows * dim * 4);
        byte[] json = JsonSupport.mapper().writeValueAsBytes(h);
        int padded = (json.length + 7) / 8 * 8;
        byte[] hdr = new byte[padded];
        java.util.Arrays.fill(hdr, (byte) ' ');
        System.arraycopy(json, 0, hdr, 0, json.length);
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(padded);
        s.write(len.array());
        s.write(hdr);
    }

    private static final Pattern DESCR = Pattern.compile("'descr'\\s*:\\s*'([<>|=]?)([fi])(\\d)'");
    private static final Pattern FORTRAN = Pattern.compile("'fortran_order'\\s*:\\s*(True|False)");
    private static final Pattern SHAPE = Pattern.compile("'shape'\\s*:\\s*\\(([^)]*)\\)");

    /**
     * Converts a NumPy {@code .npy} [N, d] float array ({@code <f4}, {@code >f4}, {@code <f8}, {@code >f8}; C order)
     * into a safetensors file, streaming (constant memory). Returns the shape {N, d}.
     */
    public static long[] importNpy(Path npy, Path out, Map<String, String> meta, boolean overwrite) throws IOException {
        try (InputStream in = new java.io.BufferedInputStream(Files.newInputStream(npy), 1 << 16)) {
            byte[] magic = in.readNBytes(8);
            if (magic.length < 8 || (magic[0] & 0xff) != 0x93 || !new String(magic, 1, 5, StandardCharsets.US_ASCII).equals("NUMPY"))
                throw new IllegalArgumentException(npy + ": not a .npy file (bad magic)");
            int major = magic[6];
            byte[] lenBytes = in.readNBytes(major == 1 ? 2 : 4);
            ByteBuffer lb = ByteBuffer.wrap(java.util.Arrays.copyOf(lenBytes, 4)).order(ByteOrder.LITTLE_ENDIAN);
            int hlen = major == 1 ? (lb.getShort(0) & 0xffff) : lb.getInt(0);
            String header = new String(in.readNBytes(hlen), StandardCharsets.ISO_8859_1);
            Matcher d = DESCR.matcher(header), f = FORTRAN.matcher(header), s = SHAPE.matcher(header);
            if (!d.find() || !f.find() || !s.find())
                throw new IllegalArgumentException(npy + ": unsupported .npy header: " + header.strip());
            if (!d.group(2).equals("f") || !(d.group(3).equals("4") || d.group(3).equals("8")))
                throw new IllegalArgumentException(npy + ": dtype: expected float32 or float64 but found " + d.group(0));
            if (f.group(1).equals("True")) throw new IllegalArgumentException(npy + ": fortran_order: expected False (C order)");
            String[] dims = s.group(1).split(",");
            long[] shape = java.util.Arrays.stream(dims).map(String::strip).filter(x -> !x.isEmpty()).mapToLong(Long::parseLong).toArray();
            if (shape.length != 2) throw new IllegalArgumentException(npy + ": shape: expected (N, d) but found (" + s.group(1) + ")");
            ByteOrder order = d.group(1).equals(">") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
            int width = Integer.parseInt(d.group(3));
            long count = shape[0] * shape[1];
            try (AtomicOutput o = AtomicOutput.create(out, overwrite)) {
                OutputStream os = o.stream();
                writeHeader(os, shape[0], shape[1], meta);
                byte[] chunk = new byte[width * 8192];
                ByteBuffer outBuf = ByteBuffer.allocate(4 * 8192).order(ByteOrder.LITTLE_ENDIAN);
                long done = 0;
                while (done < count) {
                    int n = (int) Math.min(8192, count - done);
                    int got = in.readNBytes(chunk, 0, n * width);
                    if (got != n * width)
                        throw new IllegalArgumentException(npy + ": truncated data: expected " + count + " values but the file ends after " + (done + got / width));
                    ByteBuffer inBuf = ByteBuffer.wrap(chunk, 0, got).order(order);
                    outBuf.clear();
                    for (int i = 0; i < n; i++) outBuf.putFloat(width == 4 ? inBuf.getFloat() : (float) inBuf.getDouble());
                    os.write(outBuf.array(), 0, outBuf.position());
                    done += n;
                }
                o.commit();
            }
            return shape;
        }
    }
}
