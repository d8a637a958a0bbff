package org.leverplus.hf;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * A Hugging Face snapshot directory of any model family: JSON files, {@code tokenizer.json}, and {@code model*.safetensors}
 * with or without {@code model.safetensors.index.json}. Family-specific readers (Qwen2.5-VL, CLIP) wrap one of these and
 * add their config records and the names and shapes their weights must have.
 *
 * <p>Opening checks only that the directory exists; each file is read when first asked for, so a tool that needs only
 * the tokenizer works on a directory holding only {@code tokenizer.json}. A missing file is a
 * {@link NoSuchFileException} naming the path.
 */
public final class Snapshot {
    public static final String CONFIG_FILE = "config.json";
    public static final String TOKENIZER_FILE = "tokenizer.json";
    public static final String TOKENIZER_CONFIG_FILE = "tokenizer_config.json";
    public static final String CHAT_TEMPLATE_FILE = "chat_template.json";

    private final Path dir;
    private final KeyLayout.Family layouts;
    private WeightIndex weightIndex;

    private Snapshot(Path dir, KeyLayout.Family layouts) {
        this.dir = dir;
        this.layouts = layouts;
    }

    /** Opens a snapshot directory whose weights use {@code layouts}; fails only if it is not a directory. */
    public static Snapshot open(Path dir, KeyLayout.Family layouts) throws IOException {
        if (!Files.isDirectory(dir)) throw new NoSuchFileException(dir.toString(), null, "snapshot directory not found");
        return new Snapshot(dir, layouts);
    }

    public Path dir() { return dir; }

    /** The path of a file that must exist. */
    public Path require(String name) throws IOException {
        Path p = dir.resolve(name);
        if (!Files.isRegularFile(p)) throw new NoSuchFileException(p.toString(), null, "snapshot file not found");
        return p;
    }

    /** The path of a file, if present. */
    public Optional<Path> optional(String name) {
        Path p = dir.resolve(name);
        return Files.isRegularFile(p) ? Optional.of(p) : Optional.empty();
    }

    /** A JSON file that must exist. */
    public ConfigJson json(String name) throws IOException { return ConfigJson.read(require(name)); }

    /** The path of {@code tokenizer.json}, which must exist. */
    public Path tokenizerJson() throws IOException { return require(TOKENIZER_FILE); }

    /** The path of {@code tokenizer_config.json}, if present. */
    public Optional<Path> tokenizerConfigJson() { return optional(TOKENIZER_CONFIG_FILE); }

    /**
     * The Jinja chat template text from {@code chat_template.json}, {@code chat_template.jinja} or
     * {@code tokenizer_config.json} (first found).
     */
    public Optional<String> chatTemplate() throws IOException {
        Optional<Path> json = optional(CHAT_TEMPLATE_FILE);
        if (json.isPresent()) {
            JsonNode t = ConfigJson.read(json.get()).root().get("chat_template");
            if (t != null && t.isTextual()) return Optional.of(t.asText());
        }
        Optional<Path> jinja = optional("chat_template.jinja");
        if (jinja.isPresent()) return Optional.of(Files.readString(jinja.get()));
        Optional<Path> tc = tokenizerConfigJson();
        if (tc.isPresent()) {
            JsonNode t = ConfigJson.read(tc.get()).root().get("chat_template");
            if (t != null && t.isTextual()) return Optional.of(t.asText());
        }
        return Optional.empty();
    }

    /** The safetensors headers of all shards under canonical names, read once. */
    public synchronized WeightIndex weightIndex() throws IOException {
        if (weightIndex == null) weightIndex = WeightIndex.read(dir, layouts);
        return weightIndex;
    }

    /**
     * Strict check of the weights against what the family's config implies ({@code required}: canonical name to
     * shape; {@code optional}: allowed, shape-checked when present); throws listing the problems.
     */
    public MatchReport verifyWeights(Map<String, long[]> required, Map<String, long[]> optional) throws IOException {
        MatchReport r = MatchReport.compare(required, optional, weightIndex());
        r.requireExact(dir.toString());
        return r;
    }

    /** Memory-mapped views of the weights, after {@link #verifyWeights}. Close it when the model is gone. */
    public SnapshotWeights openWeights(Map<String, long[]> required, Map<String, long[]> optional) throws IOException {
        verifyWeights(required, optional);
        return new SnapshotWeights(weightIndex());
    }

    @Override public String toString() { return "Snapshot[" + dir + "]"; }
}
