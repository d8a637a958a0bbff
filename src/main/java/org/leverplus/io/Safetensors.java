package org.leverplus.io;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.pytorch.Tensor;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The safetensors format: an 8-byte little-endian header length, a JSON header ({@code __metadata__} string map and,
 * per tensor, {@code dtype}, {@code shape}, {@code data_offsets} relative to the data section), padded with spaces to a
 * multiple of 8, then the raw little-endian tensor bytes. Files written here are byte-identical to the reference
 * (Python/Rust) writer's: compact JSON, {@code __metadata__} first, tensors ordered by descending dtype then name.
 * Reading validates the whole header (offsets in range, contiguous, no overlap, sizes matching shapes) before any
 * tensor is touched.
 */
public final class Safetensors {
    /** Same bound as the reference implementation: larger headers are rejected as corrupt. */
    static final long MAX_HEADER_BYTES = 100L * 1024 * 1024;
    private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build());

    private Safetensors() {}

    /** One tensor's entry in the header. Offsets are relative to the start of the data section. */
    public record TensorInfo(String name, SafetensorsDtype dtype, long[] shape, long begin, long end) {
        public long numel() {
            long n = 1;
            for (long s : shape) n *= s;
            return n;
        }

        @Override public String toString() {
            return name + " " + dtype + Arrays.toString(shape) + " @[" + begin + "," + end + ")";
        }
    }

    /** A parsed, validated header. {@code dataStart} is the absolute file offset of the data section. */
    public record Header(Map<String, String> metadata, Map<String, TensorInfo> tensors, long dataStart, long dataLength) {
        /** Names in data order. */
        public List<String> names() {
            return new ArrayList<>(tensors.keySet());
        }
    }

    /** Opens a file for zero-copy reading (the header is validated first). */
    public static SafetensorsFile open(Path file) throws IOException {
        return new SafetensorsFile(file, readHeader(file));
    }

    /** Reads and validates the header only; no tensor data is read. */
    public static Header readHeader(Path file) throws IOException {
        long size;
        byte[] h;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            size = ch.size();
            if (size < 8) throw new MalformedSafetensorsException(file, "file is " + size + " bytes, shorter than the 8-byte header length");
            ByteBuffer lenBuf = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, lenBuf, 0);
            long hlen = lenBuf.flip().getLong();
            if (hlen < 2 || hlen > MAX_HEADER_BYTES)
                throw new MalformedSafetensorsException(file, "header length " + Long.toUnsignedString(hlen) + " is out of range [2, " + MAX_HEADER_BYTES + "]");
            if (8 + hlen > size)
                throw new MalformedSafetensorsException(file, "header length " + hlen + " runs past the end of the file (" + size + " bytes): truncated?");
            ByteBuffer hb = ByteBuffer.allocate((int) hlen);
            readFully(ch, hb, 8);
            h = hb.array();
        }
        return parseHeader(file, h, size);
    }

    static Header parseHeader(Path file, byte[] h, long fileSize) throws MalformedSafetensorsException {
        JsonNode root;
        try {
            String text = new String(h, StandardCharsets.UTF_8);
            if (!text.startsWith("{")) throw new MalformedSafetensorsException(file, "header does not start with '{'");
            root = JSON.readTree(text);
        } catch (MalformedSafetensorsException e) {
            throw e;
        } catch (IOException e) {
            throw new MalformedSafetensorsException(file, "header is not valid JSON: " + (e instanceof com.fasterxml.jackson.core.JsonProcessingException jp ? jp.getOriginalMessage() : e.getMessage()));
        }
        if (root == null || !root.isObject()) throw new MalformedSafetensorsException(file, "header is not a JSON object");
        long dataStart = 8L + h.length, dataLength = fileSize - dataStart;
        Map<String, String> metadata = new LinkedHashMap<>();
        List<TensorInfo> infos = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String name = e.getKey();
            JsonNode n = e.getValue();
            if (name.equals("__metadata__")) {
                if (!n.isObject()) throw new MalformedSafetensorsException(file, "__metadata__ must be an object of strings");
                for (Iterator<Map.Entry<String, JsonNode>> m = n.fields(); m.hasNext(); ) {
                    Map.Entry<String, JsonNode> kv = m.next();
                    if (!kv.getValue().isTextual())
                        throw new MalformedSafetensorsException(file, "__metadata__." + kv.getKey() + " must be a string, found " + kv.getValue().getNodeType());
                    metadata.put(kv.getKey(), kv.getValue().asText());
                }
                continue;
            }
            infos.add(tensorInfo(file, name, n));
        }
        // Data order, then the layout rules: contiguous from 0, no overlap, exactly covering the data section.
        infos.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        long expected = 0;
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        for (TensorInfo ti : infos) {
            if (ti.begin() < expected)
                throw new MalformedSafetensorsException(file, "tensor '" + ti.name() + "' data_offsets [" + ti.begin() + "," + ti.end() + "] overlap the previous tensor (ends at " + expected + ")");
            if (ti.begin() > expected)
                throw new MalformedSafetensorsException(file, "tensor '" + ti.name() + "' starts at " + ti.begin() + " but the previous tensor ends at " + expected + " (hole in the data section)");
            if (ti.end() > dataLength)
                throw new MalformedSafetensorsException(file, "tensor '" + ti.name() + "' data_offsets end " + ti.end() + " beyond the data section (" + dataLength + " bytes): truncated?");
            expected = ti.end();
            tensors.put(ti.name(), ti);
        }
        if (expected != dataLength)
            throw new MalformedSafetensorsException(file, "tensors cover " + expected + " bytes but the data section holds " + dataLength);
        return new Header(Collections.unmodifiableMap(metadata), Collections.unmodifiableMap(tensors), dataStart, dataLength);
    }

    private static TensorInfo tensorInfo(Path file, String name, JsonNode n) throws MalformedSafetensorsException {
        String where = "tensor '" + name + "'";
        if (!n.isObject()) throw new MalformedSafetensorsException(file, where + " entry must be an object");
        JsonNode dt = n.get("dtype"), sh = n.get("shape"), off = n.get("data_offsets");
        if (dt == null || !dt.isTextual()) throw new MalformedSafetensorsException(file, where + " has no string 'dtype'");
        SafetensorsDtype dtype = SafetensorsDtype.parse(dt.asText());
        if (dtype == null)
            throw new MalformedSafetensorsException(file, where + " has unsupported dtype '" + dt.asText() + "' (supported: " + Arrays.toString(SafetensorsDtype.values()) + ")");
        if (sh == null || !sh.isArray()) throw new MalformedSafetensorsException(file, where + " has no array 'shape'");
        long[] shape = new long[sh.size()];
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = sh.get(i);
            if (!d.canConvertToLong() || !d.isIntegralNumber() || d.asLong() < 0)
                throw new MalformedSafetensorsException(file, where + " shape[" + i + "] must be a non-negative integer, found " + d);
            shape[i] = d.asLong();
        }
        if (off == null || !off.isArray() || off.size() != 2 || !off.get(0).isIntegralNumber() || !off.get(1).isIntegralNumber())
            throw new MalformedSafetensorsException(file, where + " 'data_offsets' must be [begin, end]");
        long begin = off.get(0).asLong(), end = off.get(1).asLong();
        if (begin < 0 || end < begin)
            throw new MalformedSafetensorsException(file, where + " data_offsets [" + begin + "," + end + "] are invalid");
        long expectBytes;
        try {
            expectBytes = byteSize(name, dtype, shape);
        } catch (IllegalArgumentException e) {
            throw new MalformedSafetensorsException(file, e.getMessage());
        }
        if (end - begin != expectBytes)
            throw new MalformedSafetensorsException(file, where + " data_offsets span " + (end - begin) + " bytes but " + dtype + Arrays.toString(shape) + " needs " + expectBytes);
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    /**
     * Writes tensors and metadata atomically: to a temporary file in the same directory, renamed over {@code file}
     * only when complete. Tensor bytes go straight from native memory to the file (CUDA tensors are copied to the
     * host first). The layout follows the reference writer (see the class comment).
     */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata) throws IOException {
        write(file, tensors, metadata, true);
    }

    /**
     * As {@link #write(Path, Map, Map)}, refusing an existing {@code file} unless {@code overwrite}. Metadata is written
     * in key order, so identical inputs give identical bytes whatever map the caller passes.
     */
    public static void write(Path file, Map<String, Tensor> tensors, Map<String, String> metadata, boolean overwrite) throws IOException {
        List<Map.Entry<String, Tensor>> entries = new ArrayList<>();
        for (Map.Entry<String, Tensor> e : tensors.entrySet()) {
            if (e.getKey().equals("__metadata__")) throw new IllegalArgumentException("safetensors: '__metadata__' is not a valid tensor name");
            Tensor t = e.getValue();
            if (t == null) throw new IllegalArgumentException("safetensors: tensor '" + e.getKey() + "' is null");
            if (!t.is_cpu()) t = t.cpu();
            entries.add(Map.entry(e.getKey(), t.contiguous()));
        }
        entries.sort(Comparator.<Map.Entry<String, Tensor>, Integer>comparing(e -> -SafetensorsDtype.of(e.getValue().scalar_type()).ordinal())
                .thenComparing(Map.Entry::getKey));
        byte[] header = headerBytes(entries, metadata);
        try (AtomicOutput out = AtomicOutput.create(file, overwrite)) {
            FileChannel ch = out.channel();
            ByteBuffer head = ByteBuffer.allocate(8 + header.length).order(ByteOrder.LITTLE_ENDIAN);
            head.putLong(header.length).put(header).flip();
            while (head.hasRemaining()) ch.write(head);
            for (Map.Entry<String, Tensor> e : entries) {
                Tensor t = e.getValue();
                long n = t.nbytes(), done = 0;
                if (n == 0) continue;
                BytePointer p = new BytePointer(t.data_ptr());
                while (done < n) {  // ByteBuffer views are limited to 2 GiB each
                    long chunk = Math.min(n - done, 1L << 30);
                    ByteBuffer bb = new BytePointer(p).position(done).capacity(done + chunk).asByteBuffer();
                    while (bb.hasRemaining()) ch.write(bb);
                    done += chunk;
                }
            }
            out.commit();
        }
    }

    /** Compact JSON exactly as serde_json writes it, padded with spaces to a multiple of 8. */
    static byte[] headerBytes(List<Map.Entry<String, Tensor>> entries, Map<String, String> metadata) throws IOException {
        List<TensorInfo> infos = new ArrayList<>();
        long off = 0;
        for (Map.Entry<String, Tensor> e : entries) {
            Tensor t = e.getValue();
            infos.add(new TensorInfo(e.getKey(), SafetensorsDtype.of(t.scalar_type()), t.sizes().vec().get(), off, off + t.nbytes()));
            off += t.nbytes();
        }
        return header(infos, metadata);
    }

    /**
     * The one header writer (the tensor writer above and streaming writers such as the npy import use it): compact
     * JSON, {@code __metadata__} first in key order, the tensors in the given order, padded with spaces to a multiple
     * of 8. Shapes must be non-negative and offsets must match them (checked, so no writer can emit a corrupt header).
     */
    public static byte[] header(List<TensorInfo> tensors, Map<String, String> metadata) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try (JsonGenerator g = JSON.getFactory().createGenerator(out)) {
            g.writeStartObject();
            if (metadata != null && !metadata.isEmpty()) {
                g.writeObjectFieldStart("__metadata__");
                for (Map.Entry<String, String> m : new java.util.TreeMap<>(metadata).entrySet()) {
                    if (m.getValue() == null) throw new IllegalArgumentException("safetensors: metadata '" + m.getKey() + "' is null");
                    g.writeStringField(m.getKey(), m.getValue());
                }
                g.writeEndObject();
            }
            for (TensorInfo t : tensors) {
                long bytes = byteSize(t.name(), t.dtype(), t.shape());
                if (t.begin() < 0 || t.end() - t.begin() != bytes)
                    throw new IllegalArgumentException("safetensors: tensor '" + t.name() + "' offsets [" + t.begin() + "," + t.end() + "] do not hold " + bytes + " bytes");
                g.writeObjectFieldStart(t.name());
                g.writeStringField("dtype", t.dtype().name());
                g.writeArrayFieldStart("shape");
                for (long s : t.shape()) g.writeNumber(s);
                g.writeEndArray();
                g.writeArrayFieldStart("data_offsets");
                g.writeNumber(t.begin());
                g.writeNumber(t.end());
                g.writeEndArray();
                g.writeEndObject();
            }
            g.writeEndObject();
        }
        int len = out.size();
        int padded = (len + 7) & ~7;
        for (int i = len; i < padded; i++) out.write(' ');
        return out.toByteArray();
    }

    /** Bytes of a tensor of this dtype and shape; an error naming the tensor for a negative or overflowing shape. */
    public static long byteSize(String name, SafetensorsDtype dtype, long[] shape) {
        long n = dtype.size();
        for (long d : shape) {
            if (d < 0) throw new IllegalArgumentException("tensor '" + name + "': negative dimension in shape " + Arrays.toString(shape));
            try {
                n = Math.multiplyExact(n, d);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("tensor '" + name + "': shape " + Arrays.toString(shape) + " has more bytes than a file can hold");
            }
        }
        return n;
    }

    private static void readFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
        while (b.hasRemaining()) {
            int r = ch.read(b, pos);
            if (r < 0) throw new IOException("unexpected end of file");
            pos += r;
        }
    }
}
