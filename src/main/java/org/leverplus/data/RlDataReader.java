package org.leverplus.data;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.exc.StreamReadException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.leverplus.io.JsonSupport;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads Lever-Plus RL data files ({@code rl_data_*.json}, every version of spec section 8.4) with Jackson's streaming
 * parser: one query group is materialised at a time, so {@link #stream} runs in memory bounded by the largest group.
 *
 * <pre>{@code
 * RlData data = RlDataReader.read(path);                 // whole file
 * RlDataReader.stream(path, new RlDataReader.Visitor() {  // bounded memory
 *     public void query(RlQuery q) { ... }
 * });
 * }</pre>
 *
 * Errors ({@link RlDataFormatException}) name the file, the query key and the field: truncated JSON, a top level that
 * is not an object, a key that occurs twice (in the file or inside a group), wrong field types.
 */
public final class RlDataReader {
    /** The reserved top-level metadata key. */
    public static final String META_KEY = "_meta";

    private static final ObjectReader TREE_READER = JsonSupport.mapper().reader()
            .with(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);

    private RlDataReader() {
    }

    /** Receives the top-level entries of a file in file order. Default methods ignore the entry. */
    public interface Visitor {
        /** The {@code _meta} object. */
        default void meta(ObjectNode meta) {
        }

        /** A query group. */
        void query(RlQuery query);

        /** Another non-integer top-level key. */
        default void extra(String key, JsonNode value) {
        }

        /**
         * A group whose fields have the wrong type. The default rethrows (reading stops); {@code lever data validate}
         * overrides it to report the problem and go on with the next group.
         */
        default void malformed(RlDataFormatException problem) {
            throw problem;
        }
    }

    /** Whether a top-level key names a query (Lever-Plus's loaders keep only integer keys). */
    public static boolean isQueryKey(String key) {
        if (key.isEmpty()) return false;
        int start = key.charAt(0) == '-' ? 1 : 0;
        if (start == key.length()) return false;
        for (int i = start; i < key.length(); i++) if (key.charAt(i) < '0' || key.charAt(i) > '9') return false;
        return true;
    }

    /** The index of a query key, or null when it does not fit an int. */
    static Integer parseIndex(String key) {
        try {
            return Integer.parseInt(key);
        } catch (NumberFormatException e) {
            return null;
        }
    }

    /** Reads the whole file. */
    public static RlData read(Path file) throws IOException {
        List<RlQuery> queries = new ArrayList<>();
        Map<String, JsonNode> extras = new LinkedHashMap<>();
        ObjectNode[] meta = {null};
        boolean[] metaFirst = {false};
        stream(file, new Visitor() {
            @Override public void meta(ObjectNode m) {
                meta[0] = m;
                if (queries.isEmpty()) metaFirst[0] = true;
            }

            @Override public void query(RlQuery q) {
                queries.add(q);
            }

            @Override public void extra(String key, JsonNode value) {
                extras.put(key, value);
                if (queries.isEmpty()) metaFirst[0] = true;
            }
        });
        return new RlData(queries, meta[0], extras, metaFirst[0]);
    }

    /** Streams the file's top-level entries to {@code visitor}, one group in memory at a time. */
    public static void stream(Path file, Visitor visitor) throws IOException {
        String name = file.toString();
        InputStream in = org.leverplus.io.Inputs.open(file, "RL data file");
        try (in; JsonParser p = JsonSupport.factory().createParser(new java.io.BufferedInputStream(in, 1 << 16))) {
            stream(p, name, visitor);
        }
    }

    static void stream(JsonParser p, String name, Visitor visitor) throws IOException {
        String key = null;
        try {
            JsonToken t = p.nextToken();
            if (t == null) throw new RlDataFormatException(name, null, null, "empty file; expected a JSON object");
            if (t != JsonToken.START_OBJECT)
                throw new RlDataFormatException(name, null, null, "expected a JSON object of query groups at the top level but found " + org.leverplus.io.JsonSupport.words(String.valueOf(t)));
            Set<String> seen = new HashSet<>();
            Map<Integer, String> indexKeys = new java.util.HashMap<>();
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                key = p.currentName();
                if (!seen.add(key))
                    throw new RlDataFormatException(name, key, null, "duplicated top-level key (at " + where(p.currentLocation()) + ")");
                p.nextToken();
                JsonNode value = TREE_READER.readTree(p);
                if (META_KEY.equals(key)) {
                    if (!value.isObject())
                        throw new RlDataFormatException(name, null, META_KEY, "expected an object but found " + JsonFields.describe(value));
                    visitor.meta((ObjectNode) value);
                } else if (isQueryKey(key)) {
                    Integer idx = parseIndex(key);
                    if (idx == null)
                        throw new RlDataFormatException(name, key, null, "query key out of range: expected a dataset index of at most " + Integer.MAX_VALUE);
                    String other = indexKeys.putIfAbsent(idx, key);
                    if (other != null)
                        throw new RlDataFormatException(name, key, null, "names the same query index " + idx + " as key \"" + other
                                + "\" (both would be query " + idx + ")");
                    RlQuery q;
                    try {
                        q = RlQuery.parse(key, value, name);
                    } catch (RlDataFormatException e) {
                        visitor.malformed(e);
                        continue;
                    }
                    visitor.query(q);
                } else {
                    if (value.isObject() && value.has("pointer_candidates"))
                        throw new RlDataFormatException(name, key, null, "holds a query group but is not an integer query key "
                                + "(Lever-Plus's loaders would silently skip it); rename it to its dataset index");
                    visitor.extra(key, value);
                }
                key = null;
            }
            if (t != JsonToken.END_OBJECT)
                throw new RlDataFormatException(name, key, null, "truncated JSON: the top-level object is not closed");
            if (p.nextToken() != null)
                throw new RlDataFormatException(name, null, null, "unexpected content after the top-level object at " + where(p.currentLocation()));
        } catch (StreamReadException e) {
            throw new RlDataFormatException(name, key, null, describe(e));
        } catch (JsonProcessingException e) {
            throw new RlDataFormatException(name, key, null, describe(e));
        }
    }

    static String describe(JsonProcessingException e) {
        String msg = e.getOriginalMessage();
        // Jackson appends "[Source: REDACTED (...); line: L, column: C]" to nested locations: keep only the position
        if (msg != null) msg = msg.replaceAll("\\[Source: [^;\\]]*; line: (\\d+), column: (\\d+)\\]", "line $1, column $2");
        boolean eof = e instanceof com.fasterxml.jackson.core.io.JsonEOFException
                || (msg != null && msg.startsWith("Unexpected end-of-input"));
        String loc = e.getLocation() != null ? " at " + where(e.getLocation()) : "";
        String kind = eof ? "truncated JSON" : (e instanceof JsonParseException ? "malformed JSON" : "invalid JSON");
        return kind + loc + ": " + (msg == null ? e.getClass().getSimpleName() : msg.lines().findFirst().orElse(msg));
    }

    static String where(JsonLocation loc) {
        return "line " + loc.getLineNr() + ", column " + loc.getColumnNr();
    }
}
