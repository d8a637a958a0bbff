package org.leverplus.hf;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Typed reads from one Hugging Face JSON file. Every failure names the file and the key, and says what was expected
 * and what was found, so a user can fix a hand-edited config without reading our code.
 */
public final class ConfigJson {
    public static final ObjectMapper MAPPER = new ObjectMapper();

    private final Path file;
    private final JsonNode root;

    public ConfigJson(Path file, JsonNode root) {
        this.file = file;
        this.root = root;
    }

    /** Reads {@code file}; a missing file or malformed JSON is an IOException naming it. */
    public static ConfigJson read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new NoSuchFileException(file.toString(), null, "file not found");
        JsonNode root;
        try {
            root = MAPPER.readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException(file + ": not valid JSON: " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) throw new IOException(file + ": expected a JSON object at the top level");
        return new ConfigJson(file, root);
    }

    public Path file() { return file; }

    public JsonNode root() { return root; }

    /** The object under {@code key}, or null when absent; a non-object value is an error. */
    public ConfigJson child(String key) {
        JsonNode n = root.get(key);
        if (n == null || n.isNull()) return null;
        if (!n.isObject()) throw bad(key, "a JSON object", n);
        return new ConfigJson(file, n);
    }

    public boolean has(String key) {
        JsonNode n = root.get(key);
        return n != null && !n.isNull();
    }

    public int requireInt(String key) {
        if (!has(key)) throw missing(key);
        return asInt(key, root.get(key));
    }

    public int optInt(String key, int fallback) { return has(key) ? asInt(key, root.get(key)) : fallback; }

    public long optLong(String key, long fallback) {
        if (!has(key)) return fallback;
        JsonNode n = root.get(key);
        if (!n.isIntegralNumber() && !(n.isNumber() && n.asDouble() == Math.rint(n.asDouble())))
            throw bad(key, "an integer", n);
        return n.asLong();
    }

    public double optDouble(String key, double fallback) {
        if (!has(key)) return fallback;
        JsonNode n = root.get(key);
        if (!n.isNumber()) throw bad(key, "a number", n);
        return n.asDouble();
    }

    public double requireDouble(String key) {
        if (!has(key)) throw missing(key);
        return optDouble(key, Double.NaN);
    }

    public boolean optBool(String key, boolean fallback) {
        if (!has(key)) return fallback;
        JsonNode n = root.get(key);
        if (!n.isBoolean()) throw bad(key, "true or false", n);
        return n.asBoolean();
    }

    public String optString(String key, String fallback) {
        if (!has(key)) return fallback;
        JsonNode n = root.get(key);
        if (!n.isTextual()) throw bad(key, "a string", n);
        return n.asText();
    }

    /** An int list; a single integer is accepted as a one-element list (HF allows both for eos_token_id). */
    public List<Integer> optIntList(String key, List<Integer> fallback) {
        if (!has(key)) return fallback;
        JsonNode n = root.get(key);
        List<Integer> out = new ArrayList<>();
        if (n.isArray()) {
            for (JsonNode e : n) out.add(asInt(key, e));
        } else {
            out.add(asInt(key, n));
        }
        return List.copyOf(out);
    }

    public List<Double> optDoubleList(String key, List<Double> fallback) {
        if (!has(key)) return fallback;
        JsonNode n = root.get(key);
        if (!n.isArray()) throw bad(key, "an array of numbers", n);
        List<Double> out = new ArrayList<>();
        for (JsonNode e : n) {
            if (!e.isNumber()) throw bad(key, "an array of numbers", n);
            out.add(e.asDouble());
        }
        return List.copyOf(out);
    }

    private int asInt(String key, JsonNode n) {
        if (n.isIntegralNumber() && n.canConvertToInt()) return n.asInt();
        if (n.isNumber() && n.asDouble() == Math.rint(n.asDouble()) && Math.abs(n.asDouble()) < Integer.MAX_VALUE)
            return (int) n.asDouble();
        throw bad(key, "an integer", n);
    }

    public IllegalArgumentException missing(String key) {
        return new IllegalArgumentException(file + ": missing key \"" + key + "\"");
    }

    public IllegalArgumentException bad(String key, String expected, JsonNode found) {
        return new IllegalArgumentException(file + ": key \"" + key + "\": expected " + expected + " but found " + found);
    }

    public static ObjectNode emptyObject() { return MAPPER.createObjectNode(); }
}
