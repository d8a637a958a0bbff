package org.leverplus.sampler;

import com.fasterxml.jackson.databind.JsonNode;
import org.leverplus.io.AtomicOutput;
import org.leverplus.io.JsonSupport;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * An anchor set and one candidate pool per anchor (global ids), in anchor order. Files are the original's cache
 * formats, byte for byte as Python's {@code json.dump} writes them (separators {@code ", "} and {@code ": "}):
 * {@value #ANCHORS_FILE} is the anchor list ({@code [a0, a1, ...]}, sampling order) and {@value #POOLS_FILE} is
 * {@code {"a0": [ids], ...}} (keys are the anchors as strings, in anchor order), so the original's scripts read them
 * and CPython's goldens compare by hash.
 */
public record CandidatePools(int[] anchors, int[][] pools) {
    public static final String ANCHORS_FILE = "anchors.json";
    public static final String POOLS_FILE = "pools.json";

    public CandidatePools {
        if (anchors.length != pools.length)
            throw new IllegalArgumentException("candidate pools: " + anchors.length + " anchors but " + pools.length + " pools");
    }

    /** The anchor list as Python's {@code json.dumps(list)} writes it. */
    public static byte[] anchorsJson(int[] anchors) {
        StringBuilder sb = new StringBuilder(anchors.length * 8 + 2);
        appendList(sb, anchors);
        return sb.toString().getBytes(StandardCharsets.US_ASCII);
    }

    /** The pools as Python's {@code json.dumps({anchor: ids})} writes them. */
    public byte[] poolsJson() {
        StringBuilder sb = new StringBuilder(anchors.length * (pools.length == 0 ? 8 : pools[0].length * 8 + 16) + 2);
        sb.append('{');
        for (int i = 0; i < anchors.length; i++) {
            if (i > 0) sb.append(", ");
            sb.append('"').append(anchors[i]).append("\": ");
            appendList(sb, pools[i]);
        }
        sb.append('}');
        return sb.toString().getBytes(StandardCharsets.US_ASCII);
    }

    private static void appendList(StringBuilder sb, int[] v) {
        sb.append('[');
        for (int i = 0; i < v.length; i++) {
            if (i > 0) sb.append(", ");
            sb.append(v[i]);
        }
        sb.append(']');
    }

    /** Writes {@code dir/anchors.json} and {@code dir/pools.json}, each atomically. */
    public void write(Path dir, boolean overwrite) throws IOException {
        // Both targets are checked before either is written, so a refusal leaves nothing half-written.
        for (String f : new String[]{ANCHORS_FILE, POOLS_FILE})
            if (!overwrite && java.nio.file.Files.exists(dir.resolve(f)))
                throw new java.nio.file.FileAlreadyExistsException(dir.resolve(f) + " exists (use --overwrite)");
        write(dir.resolve(POOLS_FILE), poolsJson(), overwrite);
        write(dir.resolve(ANCHORS_FILE), anchorsJson(anchors), overwrite);
    }

    private static void write(Path file, byte[] bytes, boolean overwrite) throws IOException {
        try (AtomicOutput o = AtomicOutput.create(file, overwrite)) {
            OutputStream s = o.stream();
            s.write(bytes);
            o.commit();
        }
    }

    /** Reads an anchor list ({@code [ints]}). */
    public static int[] readAnchors(Path file) throws IOException {
        JsonNode n = JsonSupport.mapper().readTree(file.toFile());
        if (!n.isArray()) throw new IllegalArgumentException(file + ": expected a JSON list of ids");
        int[] a = new int[n.size()];
        for (int i = 0; i < a.length; i++) {
            if (!n.get(i).canConvertToInt()) throw new IllegalArgumentException(file + ": entry " + i + ": expected an integer id but found " + n.get(i));
            a[i] = n.get(i).intValue();
        }
        return a;
    }

    /** Reads a pools file ({@code {"anchor": [ids]}}), in the file's key order (see {@link #readPools(Path, int[])}). */
    public static CandidatePools readPools(Path file) throws IOException {
        return readPools(file, new int[1]);
    }

    /**
     * Reads a pools file, in the file's key order. Keys must be plain non-negative integers ({@code "00"} would alias
     * {@code "0"}) and appear once; ids must be non-negative integers. A repeated id in a pool (the original's mix
     * sampler writes them) keeps its first position and is counted in {@code dropped[0]}, as the original's dict of
     * candidates drops it.
     * @throws IllegalArgumentException naming the file, the anchor and the position
     */
    public static CandidatePools readPools(Path file, int[] dropped) throws IOException {
        JsonNode n;
        try {
            try (java.io.InputStream in = java.nio.file.Files.newInputStream(file)) {
                n = JsonSupport.mapper().reader().with(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION).readTree(in);
            }
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(file + ": not a valid pools file (" + e.getOriginalMessage() + ")");
        }
        if (n == null || !n.isObject()) throw new IllegalArgumentException(file + ": expected a JSON object {anchor: [ids]}");
        List<Integer> anchors = new ArrayList<>();
        List<int[]> pools = new ArrayList<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String k = e.getKey();
            if (!k.matches("0|[1-9][0-9]{0,9}") || Long.parseLong(k) > Integer.MAX_VALUE)
                throw new IllegalArgumentException(file + ": key \"" + k + "\" is not an anchor id (a plain non-negative integer)");
            int a = Integer.parseInt(k);
            JsonNode v = e.getValue();
            if (!v.isArray()) throw new IllegalArgumentException(file + ": anchor " + a + ": expected a list of ids");
            java.util.LinkedHashSet<Integer> ids = new java.util.LinkedHashSet<>();
            for (int i = 0; i < v.size(); i++) {
                JsonNode x = v.get(i);
                if (!x.isIntegralNumber() || !x.canConvertToInt() || x.intValue() < 0)
                    throw new IllegalArgumentException(file + ": anchor " + a + ", position " + i + ": " + x + " is not a candidate id");
                if (!ids.add(x.intValue())) dropped[0]++;
            }
            anchors.add(a);
            pools.add(ids.stream().mapToInt(Integer::intValue).toArray());
        }
        return new CandidatePools(anchors.stream().mapToInt(Integer::intValue).toArray(), pools.toArray(new int[0][]));
    }
}
