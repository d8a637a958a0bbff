package org.leverplus.sampler;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.leverplus.io.AtomicOutput;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The original's sampler caches: {@code anchors.json}, a JSON list of anchor ids in sampling order, and
 * {@code pools.json}, {@code {"<anchor>": [candidate ids]}} in anchor order (Python's {@code json.dump} separators,
 * so the files are the ones the original writes for the same content).
 */
public final class PoolFiles {
    public static final String ANCHORS = "anchors.json", POOLS = "pools.json";

    private PoolFiles() {}

    /** Writes both files into {@code dir}; each appears only complete; existing files need {@code overwrite}. */
    public static void write(Path dir, int[] anchors, Map<Integer, int[]> pools, boolean overwrite) throws IOException {
        Files.createDirectories(dir);
        try (AtomicOutput a = AtomicOutput.create(dir.resolve(ANCHORS), overwrite);
             AtomicOutput p = AtomicOutput.create(dir.resolve(POOLS), overwrite)) {
            StringBuilder sb = new StringBuilder("[");
            for (int i = 0; i < anchors.length; i++) sb.append(i == 0 ? "" : ", ").append(anchors[i]);
            a.stream().write(sb.append("]").toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            StringBuilder ps = new StringBuilder("{");
            boolean first = true;
            for (Map.Entry<Integer, int[]> e : pools.entrySet()) {
                ps.append(first ? "" : ", ").append('"').append(e.getKey()).append("\": [");
                int[] c = e.getValue();
                for (int i = 0; i < c.length; i++) ps.append(i == 0 ? "" : ", ").append(c[i]);
                ps.append(']');
                first = false;
            }
            p.stream().write(ps.append("}").toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
            a.commit();
            p.commit();
        }
    }

    /** A pools file as read: pools in file order, and how many repeated ids were dropped (the original's mix files). */
    public record Pools(Map<Integer, int[]> pools, int duplicatesDropped) {}

    /**
     * Reads a pools file: {@code {"<anchor>": [ids]}} in file order. A repeated id in a pool (the original's mix
     * sampler writes them) keeps its first position and is counted, as the original's dict of candidates drops it.
     * @throws IllegalArgumentException naming the file and the anchor for a key that is not a plain integer or an id
     *         that is not a non-negative integer
     */
    public static Pools readPools(Path file) throws IOException {
        JsonNode root;
        try {
            root = new ObjectMapper().enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION).readTree(file.toFile());
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": not valid JSON (" + e.getMessage().lines().findFirst().orElse("") + ")");
        }
        if (root == null || !root.isObject()) throw new IllegalArgumentException(file + ": expected an object {\"<anchor id>\": [candidate ids]}");
        Map<Integer, int[]> out = new LinkedHashMap<>();
        int dropped = 0;
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String k = e.getKey();
            if (!k.matches("0|[1-9][0-9]{0,9}")) throw new IllegalArgumentException(file + ": key \"" + k + "\" is not an anchor id (a plain non-negative integer)");
            int anchor = Integer.parseInt(k);
            JsonNode v = e.getValue();
            if (!v.isArray()) throw new IllegalArgumentException(file + ": anchor " + k + ": expected a list of candidate ids");
            java.util.LinkedHashSet<Integer> ids = new java.util.LinkedHashSet<>();
            for (int i = 0; i < v.size(); i++) {
                JsonNode x = v.get(i);
                if (!x.canConvertToInt() || !x.isIntegralNumber() || x.asInt() < 0)
                    throw new IllegalArgumentException(file + ": anchor " + k + ", position " + i + ": " + x + " is not a candidate id");
                if (!ids.add(x.asInt())) dropped++;
            }
            if (out.put(anchor, ids.stream().mapToInt(Integer::intValue).toArray()) != null)
                throw new IllegalArgumentException(file + ": anchor " + k + " appears twice");
        }
        return new Pools(out, dropped);
    }

}
