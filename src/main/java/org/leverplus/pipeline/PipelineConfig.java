package org.leverplus.pipeline;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A pipeline file (YAML). Every key is known: an unknown key, a value of the wrong type or an impossible combination
 * is an error naming the key and its line, before anything runs. Every setting has the validated recipe's default
 * (see {@link #SCHEMA}); relative paths are relative to the file's folder.
 */
public final class PipelineConfig {
    enum Kind { STRING, INT, DOUBLE, BOOL, PATH, STRINGS, INTS }

    /** A key of the file: its type, default (null: required where its section is used, or optional) and meaning. */
    record Field(String key, Kind kind, Object dflt, String help) {}

    private static Field f(String key, Kind kind, Object dflt, String help) { return new Field(key, kind, dflt, help); }

    /** Every section and key, with defaults (the validated recipe: rand sampler, 800 anchors, 64 candidates, ...). */
    static final Map<String, List<Field>> SCHEMA = new LinkedHashMap<>();

    static {
        SCHEMA.put("", List.of(f("run_dir", Kind.PATH, null, "folder for every stage's outputs (required)")));
        SCHEMA.put("dataset", List.of(
                f("name", Kind.STRING, "okvqa", "okvqa or vqav2 (the official file names in data_dir)"),
                f("data_dir", Kind.PATH, null, "folder with the official question and annotation files of train and val (required)"),
                f("train_images", Kind.PATH, null, "folder of the COCO train2014 images (required)"),
                f("val_images", Kind.PATH, null, "folder of the COCO val2014 images (required)")));
        SCHEMA.put("vlm", List.of(
                f("snapshot", Kind.PATH, null, "Qwen2.5-VL snapshot folder (required)"),
                f("device", Kind.STRING, "cpu", "cpu, cuda or cuda:N"),
                f("dtype", Kind.STRING, "float32", "float32 or bfloat16")));
        SCHEMA.put("clip", List.of(
                f("snapshot", Kind.PATH, null, "CLIP snapshot for the selector embeddings (ViT-B/32 shape)"),
                f("sampler_snapshot", Kind.PATH, null, "CLIP snapshot for sampler features (default: snapshot)"),
                f("device", Kind.STRING, "cpu", "cpu, cuda or cuda:N")));
        SCHEMA.put("sample", List.of(
                f("sampler", Kind.STRING, "rand", "rand, text, img or mix"),
                f("anchors", Kind.INT, 800L, "anchor (training query) count"),
                f("candidates", Kind.INT, 64L, "candidate pool size per anchor"),
                f("seed", Kind.INT, 42L, "sampler seed"),
                f("extra_args", Kind.STRINGS, List.of(), "more flags for `lever sample`")));
        SCHEMA.put("embed", List.of(
                f("selector_train", Kind.PATH, null, "selector embeddings of the train split [N_train, 512] (safetensors)"),
                f("selector_val", Kind.PATH, null, "selector embeddings of the val split [N_val, 512]"),
                f("clip_train_image", Kind.PATH, null, "CLIP image features of the train split (img/mix samplers, i2i/mix)"),
                f("clip_train_text", Kind.PATH, null, "CLIP question features of the train split (text/mix samplers, i2t/t2t/mix)"),
                f("clip_val_image", Kind.PATH, null, "CLIP image features of the val split (i2i, i2t, mix)"),
                f("clip_val_text", Kind.PATH, null, "CLIP question features of the val split (t2t, mix)"),
                f("extra_args", Kind.STRINGS, List.of(), "more flags for `lever embed`")));
        SCHEMA.put("sft_data", List.of(
                f("beam_size", Kind.INT, 5L, "InfoScore beam size"),
                f("shots", Kind.INT, 2L, "ICDs per sequence"),
                f("order", Kind.STRING, "left", "left or right"),
                f("extra_args", Kind.STRINGS, List.of(), "more flags for `lever generate sft`")));
        SCHEMA.put("sft_train", List.of(
                f("epochs", Kind.INT, 20L, "SFT epochs (0 skips SFT training)"),
                f("extra_args", Kind.STRINGS, List.of(), "more flags for the SFT `lever train`")));
        SCHEMA.put("rl_data", List.of(
                f("mode", Kind.STRING, "standard", "standard (proposers over each anchor's pool, then the filter) or balanced (lever generate rl --balanced)"),
                f("shots", Kind.INT, 2L, "ICDs per candidate sequence"),
                f("balanced_filter", Kind.BOOL, true, "keep only queries with a positive ratio inside the band"),
                f("min_pos_ratio", Kind.DOUBLE, 0.4, "balanced band, low end"),
                f("max_pos_ratio", Kind.DOUBLE, 0.6, "balanced band, high end"),
                f("extra_args", Kind.STRINGS, List.of(), "more flags for `lever generate rl`")));
        SCHEMA.put("train", List.of(
                f("rce_epochs", Kind.INT, 5L, "RCE epochs (the validated recipe: 5)"),
                f("grpo_epochs", Kind.INT, 0L, "GRPO epochs (the validated recipe: 0)"),
                f("extra_args", Kind.STRINGS, List.of(), "more flags for `lever train`")));
        SCHEMA.put("eval", List.of(
                f("methods", Kind.STRINGS, List.of("selector", "zero", "random", "i2i", "i2t", "t2t"), "methods to compare"),
                f("shots", Kind.INTS, List.of(1L, 2L, 3L, 4L), "shot counts"),
                f("limit", Kind.INT, 0L, "first N validation questions (0: all)"),
                f("seed", Kind.INT, 42L, "random baseline and bootstrap seed"),
                f("extra_args", Kind.STRINGS, List.of(), "more flags for `lever eval`")));
    }

    static final Set<String> SAMPLERS = Set.of("rand", "text", "img", "mix");
    static final Set<String> METHODS = Set.of("selector", "zero", "random", "i2i", "i2t", "t2t", "mix");

    private final Path file;
    private final ObjectNode values;            // every section, defaults filled in
    private final Map<String, Integer> lines;  // "section.key" -> line in the file

    private PipelineConfig(Path file, ObjectNode values, Map<String, Integer> lines) {
        this.file = file;
        this.values = values;
        this.lines = lines;
    }

    public Path file() { return file; }

    /** A section with every default filled in (what a stage's fingerprint includes). */
    public JsonNode section(String name) { return values.path(name); }

    public Path runDir() { return path("", "run_dir"); }

    public String string(String section, String key) { return values.path(section).path(key).asText(); }

    public long integer(String section, String key) { return values.path(section).path(key).asLong(); }

    public double real(String section, String key) { return values.path(section).path(key).asDouble(); }

    public boolean bool(String section, String key) { return values.path(section).path(key).asBoolean(); }

    public List<String> strings(String section, String key) {
        List<String> out = new ArrayList<>();
        values.path(section).path(key).forEach(n -> out.add(n.asText()));
        return out;
    }

    public List<Long> integers(String section, String key) {
        List<Long> out = new ArrayList<>();
        values.path(section).path(key).forEach(n -> out.add(n.asLong()));
        return out;
    }

    /** A path setting resolved against the file's folder, or null when not set. */
    public Path path(String section, String key) {
        JsonNode n = section.isEmpty() ? values.path(key) : values.path(section).path(key);
        if (n.isMissingNode() || n.isNull()) return null;
        Path p = Path.of(n.asText());
        return p.isAbsolute() ? p : file.toAbsolutePath().getParent().resolve(p).normalize();
    }

    /** A required path setting. */
    public Path requiredPath(String section, String key) {
        Path p = path(section, key);
        if (p == null) throw error(section, key, "is required");
        return p;
    }

    /** "FILE line N: KEY: WHAT" (the line of the key, or of its section when the key is absent). */
    public IllegalArgumentException error(String section, String key, String what) {
        String k = section.isEmpty() ? key : section + "." + key;
        Integer line = lines.get(k);
        if (line == null) line = lines.get(section);
        return new IllegalArgumentException(file + (line != null ? " line " + line : "") + ": " + k + " " + what);
    }

    public static PipelineConfig read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new java.nio.file.NoSuchFileException(file + ": no such pipeline file");
        ObjectMapper yaml = new ObjectMapper(new YAMLFactory());
        Map<String, Integer> lines = new HashMap<>();
        JsonNode root;
        try (JsonParser p = yaml.getFactory().createParser(file.toFile())) {
            indexLines(p, lines);
        } catch (IOException e) {
            throw new IllegalArgumentException(file + ": not valid YAML: " + firstLine(e.getMessage()));
        }
        root = yaml.readTree(file.toFile());
        if (root == null || !root.isObject()) throw new IllegalArgumentException(file + ": expected a mapping of sections (run_dir, dataset, vlm, ...)");
        PipelineConfig tmp = new PipelineConfig(file, JsonNodeFactory.instance.objectNode(), lines);
        ObjectNode values = JsonNodeFactory.instance.objectNode();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            String k = e.getKey();
            if (SCHEMA.get("").stream().anyMatch(fl -> fl.key().equals(k))) continue;
            if (!SCHEMA.containsKey(k)) throw tmp.error("", k, "is not a section (known: " + sectionNames() + ")");
            if (!e.getValue().isObject() && !e.getValue().isNull())
                throw tmp.error("", k, "must be a mapping of settings, not " + describe(e.getValue()));
        }
        for (Map.Entry<String, List<Field>> sec : SCHEMA.entrySet()) {
            String s = sec.getKey();
            JsonNode given = s.isEmpty() ? root : root.path(s);
            ObjectNode out = s.isEmpty() ? values : values.putObject(s);
            if (!s.isEmpty() && given.isObject()) {
                for (Iterator<String> it = given.fieldNames(); it.hasNext(); ) {
                    String k = it.next();
                    if (sec.getValue().stream().noneMatch(fl -> fl.key().equals(k)))
                        throw tmp.error(s, k, "is not a setting of " + s + " (known: "
                                + String.join(", ", sec.getValue().stream().map(Field::key).toList()) + ")");
                }
            }
            for (Field fl : sec.getValue()) {
                JsonNode v = given.path(fl.key());
                if (v.isMissingNode() || v.isNull()) {
                    if (fl.dflt() != null) out.set(fl.key(), yaml.valueToTree(fl.dflt()));
                    continue;
                }
                out.set(fl.key(), typed(tmp, s, fl, v));
            }
        }
        PipelineConfig c = new PipelineConfig(file, values, lines);
        c.validate();
        return c;
    }

    private static JsonNode typed(PipelineConfig c, String s, Field fl, JsonNode v) {
        switch (fl.kind()) {
            case STRING, PATH -> {
                if (!v.isTextual() && !v.isNumber()) throw c.error(s, fl.key(), "must be a " + (fl.kind() == Kind.PATH ? "path" : "string") + ", not " + describe(v));
                return JsonNodeFactory.instance.textNode(v.asText());
            }
            case INT -> {
                if (!v.isIntegralNumber()) throw c.error(s, fl.key(), "must be a whole number, not " + describe(v));
                if (v.asLong() < 0) throw c.error(s, fl.key(), "must be >= 0, not " + v.asLong());
                return v;
            }
            case DOUBLE -> {
                if (!v.isNumber() || !Double.isFinite(v.asDouble())) throw c.error(s, fl.key(), "must be a number, not " + describe(v));
                return JsonNodeFactory.instance.numberNode(v.asDouble());
            }
            case BOOL -> {
                if (!v.isBoolean()) throw c.error(s, fl.key(), "must be true or false, not " + describe(v));
                return v;
            }
            case STRINGS, INTS -> {
                ArrayNode a = JsonNodeFactory.instance.arrayNode();
                JsonNode list = v.isArray() ? v : (fl.kind() == Kind.STRINGS && v.isTextual() ? splitCommas(v.asText()) : null);
                if (list == null) throw c.error(s, fl.key(), "must be a list, not " + describe(v));
                for (JsonNode x : list) {
                    if (fl.kind() == Kind.INTS && !x.isIntegralNumber())
                        throw c.error(s, fl.key(), "must be a list of whole numbers, found " + describe(x));
                    if (fl.kind() == Kind.STRINGS && !(x.isTextual() || x.isNumber()))
                        throw c.error(s, fl.key(), "must be a list of strings, found " + describe(x));
                    a.add(fl.kind() == Kind.INTS ? JsonNodeFactory.instance.numberNode(x.asLong()) : JsonNodeFactory.instance.textNode(x.asText()));
                }
                return a;
            }
        }
        throw new IllegalStateException(fl.kind().toString());
    }

    private static JsonNode splitCommas(String s) {
        ArrayNode a = JsonNodeFactory.instance.arrayNode();
        for (String p : s.split(",")) if (!p.isBlank()) a.add(p.strip());
        return a;
    }

    /** Checks that need several settings at once, before anything runs. */
    private void validate() {
        if (path("", "run_dir") == null) throw error("", "run_dir", "is required");
        if (!SAMPLERS.contains(string("sample", "sampler")))
            throw error("sample", "sampler", "must be one of rand, text, img, mix, not '" + string("sample", "sampler") + "'");
        if (integer("sample", "anchors") < 1) throw error("sample", "anchors", "must be >= 1");
        long k = integer("sample", "candidates");
        if (k < 1) throw error("sample", "candidates", "must be >= 1");
        if (integer("sft_data", "shots") < 1 || integer("sft_data", "shots") > k)
            throw error("sft_data", "shots", "must be between 1 and sample.candidates (" + k + "), not " + integer("sft_data", "shots"));
        if (integer("sft_data", "beam_size") < 1) throw error("sft_data", "beam_size", "must be >= 1");
        if (!Set.of("left", "right").contains(string("sft_data", "order"))) throw error("sft_data", "order", "must be left or right");
        if (!Set.of("standard", "balanced").contains(string("rl_data", "mode")))
            throw error("rl_data", "mode", "must be standard or balanced, not '" + string("rl_data", "mode") + "'");
        if (string("rl_data", "mode").equals("balanced") && integer("rl_data", "shots") != 2)
            throw error("rl_data", "shots", "must be 2 with rl_data.mode balanced (it builds pairs), not " + integer("rl_data", "shots"));
        if (integer("rl_data", "shots") < 1 || integer("rl_data", "shots") > k)
            throw error("rl_data", "shots", "must be between 1 and sample.candidates (" + k + ")");
        double lo = real("rl_data", "min_pos_ratio"), hi = real("rl_data", "max_pos_ratio");
        if (lo < 0 || hi > 1 || lo > hi)
            throw error("rl_data", "min_pos_ratio", "and max_pos_ratio must satisfy 0 <= min <= max <= 1, not " + lo + " and " + hi);
        if (integer("train", "rce_epochs") + integer("train", "grpo_epochs") < 1)
            throw error("train", "rce_epochs", "and train.grpo_epochs are both 0: nothing would train the selector");
        for (String m : strings("eval", "methods"))
            if (!METHODS.contains(m)) throw error("eval", "methods", "has unknown method '" + m + "' (known: " + METHODS + ")");
        if (strings("eval", "methods").isEmpty()) throw error("eval", "methods", "is empty");
        List<Long> shots = integers("eval", "shots");
        if (shots.isEmpty()) throw error("eval", "shots", "is empty");
        for (long s : shots) {
            if (s < 1 || s > k) throw error("eval", "shots", "must lie between 1 and sample.candidates (" + k + "), found " + s);
        }
        if (!Set.of("float32", "bfloat16").contains(string("vlm", "dtype"))) throw error("vlm", "dtype", "must be float32 or bfloat16");
        if (!Set.of("okvqa", "vqav2").contains(string("dataset", "name"))) throw error("dataset", "name", "must be okvqa or vqav2");
    }

    private static String sectionNames() {
        List<String> s = new ArrayList<>(List.of("run_dir"));
        for (String k : SCHEMA.keySet()) if (!k.isEmpty()) s.add(k);
        return String.join(", ", s);
    }

    private static String describe(JsonNode v) {
        if (v.isTextual()) return "the string '" + v.asText() + "'";
        if (v.isArray()) return "a list";
        if (v.isObject()) return "a mapping";
        if (v.isBoolean()) return v.asText();
        return v.isNumber() ? "the number " + v.asText() : v.getNodeType().toString().toLowerCase();
    }

    private static String firstLine(String s) {
        if (s == null) return "unreadable";
        int i = s.indexOf('\n');
        return i < 0 ? s : s.substring(0, i);
    }

    /** Records the line of every key as "section.key" (two levels are all a pipeline file has). */
    private static void indexLines(JsonParser p, Map<String, Integer> lines) throws IOException {
        for (JsonToken t; (t = p.nextToken()) != null; ) {
            if (t != JsonToken.FIELD_NAME) continue;
            com.fasterxml.jackson.core.JsonStreamContext parent = p.getParsingContext().getParent();
            String section = parent != null && parent.inObject() ? parent.getCurrentName() : null;
            String key = section == null ? p.currentName() : section + "." + p.currentName();
            lines.putIfAbsent(key, p.currentTokenLocation().getLineNr());
        }
    }
}
