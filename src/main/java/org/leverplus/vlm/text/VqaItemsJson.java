package org.leverplus.vlm.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.leverplus.vlm.image.ImageGrid;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads prompt items from JSON files for {@code lever vlm prompt}: an ICD file is an array of
 * {@code {"image": PATH, "question": ..., "answer": ...}}, a query file one {@code {"image": PATH, "question": ...}}.
 * Image paths are relative to the JSON file. Instead of {@code image}, an item may give {@code "grid": [t, h, w]}.
 * Errors name the file, the record index and the field.
 */
public final class VqaItemsJson {
    /** Maps an image file to its grid (reads the header and applies smart_resize). */
    @FunctionalInterface
    public interface GridSource {
        ImageGrid gridOf(Path image) throws IOException;
    }

    private static final ObjectMapper M = new ObjectMapper();

    private VqaItemsJson() {}

    public static List<VqaItem> readIcds(Path file, GridSource grids) throws IOException {
        JsonNode root = read(file);
        if (!root.isArray()) throw new IllegalArgumentException(file + ": expected a JSON array of ICD objects but found " + kind(root));
        List<VqaItem> out = new ArrayList<>();
        for (int i = 0; i < root.size(); i++) out.add(item(file, "record " + i, root.get(i), grids, true));
        return out;
    }

    public static VqaItem readQuery(Path file, GridSource grids) throws IOException {
        JsonNode root = read(file);
        if (!root.isObject()) throw new IllegalArgumentException(file + ": expected one JSON object for the query but found " + kind(root));
        return item(file, "query", root, grids, false);
    }

    private static VqaItem item(Path file, String where, JsonNode n, GridSource grids, boolean needAnswer) throws IOException {
        String at = file + ": " + where;
        if (!n.isObject()) throw new IllegalArgumentException(at + ": expected an object but found " + kind(n));
        String question = text(n, "question", at, true);
        String answer = needAnswer ? text(n, "answer", at, true) : null;
        ImageGrid grid;
        if (n.has("grid")) {
            JsonNode g = n.get("grid");
            if (!g.isArray() || g.size() != 3 || !g.get(0).canConvertToInt() || !g.get(1).canConvertToInt() || !g.get(2).canConvertToInt())
                throw new IllegalArgumentException(at + ": field \"grid\": expected [t, h, w] integers but found " + g);
            grid = new ImageGrid(g.get(0).asInt(), g.get(1).asInt(), g.get(2).asInt());
        } else {
            String image = text(n, "image", at, true);
            Path p = file.toAbsolutePath().getParent().resolve(image);
            grid = grids.gridOf(p);
        }
        return new VqaItem(grid, question, answer);
    }

    private static String text(JsonNode n, String field, String at, boolean required) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) {
            if (required) throw new IllegalArgumentException(at + ": missing field \"" + field + "\"");
            return null;
        }
        if (!v.isTextual()) throw new IllegalArgumentException(at + ": field \"" + field + "\": expected a string but found " + v);
        return v.asText();
    }

    private static JsonNode read(Path file) throws IOException {
        if (!java.nio.file.Files.isRegularFile(file)) throw new java.nio.file.NoSuchFileException(file.toString(), null, "file not found");
        try {
            return M.readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException(file + ": not valid JSON: " + e.getMessage(), e);
        }
    }

    private static String kind(JsonNode n) { return n == null ? "nothing" : n.getNodeType().toString().toLowerCase(java.util.Locale.ROOT); }
}
