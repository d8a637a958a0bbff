package org.leverplus.rlgen;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads a pools file {@code {"anchor id": [candidate ids...], ...}} ({@code lever sample}'s DIR/pools.json and the
 * original's sampler cache, whose values may also be lists of {@code {"idx": id}} objects), in file order. Kept in
 * one small class so it can be replaced by the sampler's own reader.
 */
public final class PoolsFile {
    private PoolsFile() {}

    public static Map<Integer, int[]> read(Path file) throws IOException {
        JsonNode root = new ObjectMapper().readTree(file.toFile());
        if (root == null || !root.isObject()) throw new IllegalArgumentException(file + ": expected a JSON object {anchor: [ids]}");
        Map<Integer, int[]> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().startsWith("_")) continue;                     // _meta and the like
            int anchor;
            try {
                anchor = Integer.parseInt(e.getKey());
            } catch (NumberFormatException ex) {
                throw new IllegalArgumentException(file + ": anchor \"" + e.getKey() + "\" is not an integer id");
            }
            JsonNode v = e.getValue();
            if (!v.isArray() || v.isEmpty()) throw new IllegalArgumentException(file + ": anchor " + anchor + ": expected a non-empty array of ids");
            int[] ids = new int[v.size()];
            for (int i = 0; i < ids.length; i++) {
                JsonNode x = v.get(i).isObject() ? v.get(i).get("idx") : v.get(i);
                if (x == null || !x.canConvertToInt()) throw new IllegalArgumentException(file + ": anchor " + anchor + ": entry " + i + " is not an id");
                ids[i] = x.asInt();
            }
            out.put(anchor, ids);
        }
        if (out.isEmpty()) throw new IllegalArgumentException(file + ": no anchors");
        return out;
    }
}
