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
import java.util.List;
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
            writeSafetensors(o, meta);
            o.commit();
        }
    }

    /** Writes this matrix as safetensors into {@code o} without committing it (for outputs committed together). */
    public void writeSafetensors(AtomicOutput o, Map<String, String> meta) throws IOException {
        {
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
        }
    }

    /** Writes the safetensors header of a one-tensor F32 [rows, dim] file (the data follows, row-major little-endian). */
    public static void writeHeader(OutputStream s, long rows, long dim, Map<String, String> meta) throws IOException {
        long[] shape = {rows, dim};
        long bytes = org.leverplus.io.Safetensors.byteSize(TENSOR_NAME, org.leverplus.io.SafetensorsDtype.F32, shape);
        byte[] hdr = org.leverplus.io.Safetensors.header(
                List.of(new org.leverplus.io.Safetensors.TensorInfo(TENSOR_NAME, org.leverplus.io.SafetensorsDtype.F32, shape, 0, bytes)), meta);
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(hdr.length);
        s.write(len.array());
        s.write(hdr);
    }

    /** Bound on the .npy header (NumPy's own reader refuses headers above 10,000 bytes by default). */
    static final int MAX_NPY_HEADER = 1 << 20;

    /** The validated header of a .npy file. */
    record NpyHeader(String descr, boolean fortranOrder, long[] shape, long dataStart) {}

    /**
     * Parses and validates a .npy header (format versions 1.0, 2.0 and 3.0): the Python dict literal must hold exactly
     * {@code descr}, {@code fortran_order} and {@code shape} once each, the shape non-negative integers.
     */
    static NpyHeader readNpyHeader(Path npy, InputStream in) throws IOException {
        byte[] magic = in.readNBytes(8);
        if (magic.length < 8 || (magic[0] & 0xff) != 0x93 || !new String(magic, 1, 5, StandardCharsets.US_ASCII).equals("NUMPY"))
            throw new IllegalArgumentException(npy + ": not a .npy file (bad magic)");
        int major = magic[6] & 0xff, minor = magic[7] & 0xff;
        if (major < 1 || major > 3 || minor != 0)
            throw new IllegalArgumentException(npy + ": unsupported .npy format version " + major + "." + minor + " (expected 1.0, 2.0 or 3.0)");
        byte[] lenBytes = in.readNBytes(major == 1 ? 2 : 4);
        if (lenBytes.length < (major == 1 ? 2 : 4)) throw new IllegalArgumentException(npy + ": truncated .npy header");
        ByteBuffer lb = ByteBuffer.wrap(java.util.Arrays.copyOf(lenBytes, 4)).order(ByteOrder.LITTLE_ENDIAN);
        long hlen = major == 1 ? (lb.getShort(0) & 0xffff) : Integer.toUnsignedLong(lb.getInt(0));
        if (hlen > MAX_NPY_HEADER)
            throw new IllegalArgumentException(npy + ": .npy header length " + hlen + " is larger than " + MAX_NPY_HEADER + " bytes (corrupt file?)");
        byte[] hb = in.readNBytes((int) hlen);
        if (hb.length < hlen) throw new IllegalArgumentException(npy + ": truncated .npy header");
        String header = new String(hb, major == 3 ? StandardCharsets.UTF_8 : StandardCharsets.ISO_8859_1);
        Map<String, Object> dict = new NpyDictParser(npy, header).parse();
        for (String k : List.of("descr", "fortran_order", "shape"))
            if (!dict.containsKey(k)) throw new IllegalArgumentException(npy + ": .npy header has no '" + k + "': " + header.strip());
        if (dict.size() != 3) throw new IllegalArgumentException(npy + ": .npy header has unexpected keys: " + dict.keySet());
        if (!(dict.get("descr") instanceof String descr)) throw new IllegalArgumentException(npy + ": .npy header 'descr' must be a string");
        if (!(dict.get("fortran_order") instanceof Boolean fo)) throw new IllegalArgumentException(npy + ": .npy header 'fortran_order' must be True or False");
        if (!(dict.get("shape") instanceof long[] shape)) throw new IllegalArgumentException(npy + ": .npy header 'shape' must be a tuple of integers");
        return new NpyHeader(descr, fo, shape, 8L + lenBytes.length + hlen);
    }

    /** A parser for the one-line Python dict literal of a .npy header: strings, True/False and tuples of ints. */
    private static final class NpyDictParser {
        private final Path npy;
        private final String s;
        private int i;

        NpyDictParser(Path npy, String s) {
            this.npy = npy;
            this.s = s;
        }

        Map<String, Object> parse() {
            Map<String, Object> out = new java.util.LinkedHashMap<>();
            expect('{');
            while (true) {
                skip();
                if (peek() == '}') { i++; break; }
                String key = string();
                expect(':');
                Object v = value();
                if (out.put(key, v) != null) throw error("key '" + key + "' appears twice");
                skip();
                if (peek() == ',') { i++; continue; }
                expect('}');
                break;
            }
            skip();
            if (i != s.length()) throw error("unexpected text after the dict");
            return out;
        }

        private Object value() {
            skip();
            char c = peek();
            if (c == '\'' || c == '"') return string();
            if (s.startsWith("True", i)) { i += 4; return Boolean.TRUE; }
            if (s.startsWith("False", i)) { i += 5; return Boolean.FALSE; }
            if (c == '(') {
                i++;
                List<Long> dims = new java.util.ArrayList<>();
                while (true) {
                    skip();
                    if (peek() == ')') { i++; break; }
                    int start = i;
                    while (i < s.length() && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '-')) i++;
                    String num = s.substring(start, i);
                    long v;
                    try {
                        v = Long.parseLong(num);
                    } catch (NumberFormatException e) {
                        throw error("shape entry '" + num + "' is not an integer that fits 64 bits");
                    }
                    if (v < 0) throw error("shape entry " + v + " is negative");
                    dims.add(v);
                    skip();
                    if (peek() == ',') { i++; continue; }
                    expect(')');
                    break;
                }
                return dims.stream().mapToLong(Long::longValue).toArray();
            }
            throw error("unexpected value at column " + i);
        }

        private String string() {
            skip();
            char q = peek();
            if (q != '\'' && q != '"') throw error("expected a quoted string at column " + i);
            int end = s.indexOf(q, i + 1);
            if (end < 0) throw error("unterminated string");
            String r = s.substring(i + 1, end);
            i = end + 1;
            return r;
        }

        private void expect(char c) {
            skip();
            if (peek() != c) throw error("expected '" + c + "' at column " + i);
            i++;
        }

        private char peek() {
            if (i >= s.length()) throw error("the header ends early");
            return s.charAt(i);
        }

        private void skip() {
            while (i < s.length() && Character.isWhitespace(s.charAt(i))) i++;
        }

        private IllegalArgumentException error(String what) {
            return new IllegalArgumentException(npy + ": malformed .npy header: " + what + ": " + s.strip());
        }
    }

    /**
     * Converts a NumPy {@code .npy} [N, d] float array ({@code <f4}, {@code >f4}, {@code <f8}, {@code >f8}; C order)
     * into a safetensors file, streaming (constant memory). The header is validated and the data size checked against
     * the file before the output is opened; NaN or infinite values are an error naming the row. Returns the shape {N, d}.
     */
    public static long[] importNpy(Path npy, Path out, Map<String, String> meta, boolean overwrite) throws IOException {
        org.leverplus.io.Inputs.requireFile(npy, ".npy file");
        long fileSize = Files.size(npy);
        try (InputStream in = new java.io.BufferedInputStream(Files.newInputStream(npy), 1 << 16)) {
            NpyHeader h = readNpyHeader(npy, in);
            Matcher d = Pattern.compile("([<>|=]?)([a-zA-Z])(\\d+)").matcher(h.descr());
            if (!d.matches() || !d.group(2).equals("f") || !(d.group(3).equals("4") || d.group(3).equals("8")))
                throw new IllegalArgumentException(npy + ": dtype: expected float32 or float64 but found '" + h.descr() + "'");
            if (h.fortranOrder()) throw new IllegalArgumentException(npy + ": fortran_order: expected False (C order)");
            long[] shape = h.shape();
            if (shape.length != 2) throw new IllegalArgumentException(npy + ": shape: expected (N, d) but found " + java.util.Arrays.toString(shape));
            if (shape[1] < 1) throw new IllegalArgumentException(npy + ": shape: expected d >= 1 but found " + java.util.Arrays.toString(shape));
            int width0 = Integer.parseInt(d.group(3));
            long need;
            try {
                need = Math.multiplyExact(Math.multiplyExact(shape[0], shape[1]), (long) width0);
                org.leverplus.io.Safetensors.byteSize(TENSOR_NAME, org.leverplus.io.SafetensorsDtype.F32, shape);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException(npy + ": shape " + java.util.Arrays.toString(shape) + " is too large (more bytes than a file can hold)");
            }
            long have = fileSize - h.dataStart();
            if (have < need)
                throw new IllegalArgumentException(npy + ": truncated data: shape " + java.util.Arrays.toString(shape) + " needs " + need
                        + " bytes but the file holds " + have);
            if (have > need)
                throw new IllegalArgumentException(npy + ": " + (have - need) + " bytes after the data of shape " + java.util.Arrays.toString(shape) + " (corrupt file?)");
            ByteOrder order = d.group(1).equals(">") ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;
            int width = width0;
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
                    for (int i = 0; i < n; i++) {
                        float v = width == 4 ? inBuf.getFloat() : (float) inBuf.getDouble();
                        if (!Float.isFinite(v))
                            throw new IllegalArgumentException(npy + ": row " + ((done + i) / shape[1]) + " holds " + v + " (embeddings must be finite)");
                        outBuf.putFloat(v);
                    }
                    os.write(outBuf.array(), 0, outBuf.position());
                    done += n;
                }
                o.commit();
            }
            return shape;
        }
    }
}
