package org.leverplus.vlm;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Optional;

/**
 * A Hugging Face snapshot directory of Qwen2.5-VL ({@code config.json}, {@code generation_config.json},
 * {@code preprocessor_config.json}, {@code tokenizer.json}, {@code tokenizer_config.json}, {@code chat_template.json},
 * {@code model*.safetensors} with or without {@code model.safetensors.index.json}).
 *
 * <p>Opening checks only that the directory exists. Each file is read the first time it is asked for, and cached, so
 * a tool that needs only the tokenizer works on a directory holding only {@code tokenizer.json}. A missing file is a
 * {@link NoSuchFileException} naming the path; a bad value is an error naming the file and key.
 *
 * <p>Weights: {@link #weightIndex()} reads the safetensors headers (names, dtypes, shapes; canonical legacy names for
 * both key layouts, see {@link WeightLayout}); {@link #verifyWeights()} checks them against {@code config.json};
 * {@link #openWeights()} gives memory-mapped LibTorch views.
 */
public final class Snapshot {
    public static final String TOKENIZER_FILE = "tokenizer.json";
    public static final String TOKENIZER_CONFIG_FILE = "tokenizer_config.json";
    public static final String CHAT_TEMPLATE_FILE = "chat_template.json";

    private final Path dir;
    private Qwen25VlConfig config;
    private GenerationConfig generationConfig;
    private PreprocessorConfig preprocessorConfig;
    private WeightIndex weightIndex;

    private Snapshot(Path dir) { this.dir = dir; }

    /** Opens a snapshot directory; fails only if it is not a directory. */
    public static Snapshot open(Path dir) throws IOException {
        if (!Files.isDirectory(dir)) throw new NoSuchFileException(dir.toString(), null, "snapshot directory not found");
        return new Snapshot(dir);
    }

    public Path dir() { return dir; }

    /** {@code config.json}, read once. */
    public synchronized Qwen25VlConfig config() throws IOException {
        if (config == null) config = Qwen25VlConfig.read(require(Qwen25VlConfig.FILE));
        return config;
    }

    /** {@code generation_config.json}, or the Qwen2.5-VL defaults when the snapshot has none. */
    public synchronized GenerationConfig generationConfig() throws IOException {
        if (generationConfig == null) {
            Path p = dir.resolve(GenerationConfig.FILE);
            generationConfig = Files.isRegularFile(p) ? GenerationConfig.read(p) : GenerationConfig.defaults();
        }
        return generationConfig;
    }

    /** {@code preprocessor_config.json} (required: the pixel limits differ between snapshots). */
    public synchronized PreprocessorConfig preprocessorConfig() throws IOException {
        if (preprocessorConfig == null) preprocessorConfig = PreprocessorConfig.read(require(PreprocessorConfig.FILE));
        return preprocessorConfig;
    }

    /** The path of {@code tokenizer.json}, which must exist. */
    public Path tokenizerJson() throws IOException { return require(TOKENIZER_FILE); }

    /** The path of {@code tokenizer_config.json}, if present. */
    public Optional<Path> tokenizerConfigJson() {
        Path p = dir.resolve(TOKENIZER_CONFIG_FILE);
        return Files.isRegularFile(p) ? Optional.of(p) : Optional.empty();
    }

    /**
     * The Jinja chat template text from {@code chat_template.json}, {@code chat_template.jinja} or
     * {@code tokenizer_config.json} (first found), for comparison with the template Lever renders in Java.
     */
    public Optional<String> chatTemplate() throws IOException {
        Path json = dir.resolve(CHAT_TEMPLATE_FILE);
        if (Files.isRegularFile(json)) {
            JsonNode t = ConfigJson.read(json).root().get("chat_template");
            if (t != null && t.isTextual()) return Optional.of(t.asText());
        }
        Path jinja = dir.resolve("chat_template.jinja");
        if (Files.isRegularFile(jinja)) return Optional.of(Files.readString(jinja));
        Optional<Path> tc = tokenizerConfigJson();
        if (tc.isPresent()) {
            JsonNode t = ConfigJson.read(tc.get()).root().get("chat_template");
            if (t != null && t.isTextual()) return Optional.of(t.asText());
        }
        return Optional.empty();
    }

    /** The safetensors headers of all shards under canonical names, read once. */
    public synchronized WeightIndex weightIndex() throws IOException {
        if (weightIndex == null) weightIndex = WeightIndex.read(dir);
        return weightIndex;
    }

    /** Checks every weight's presence, shape and dtype against {@code config.json}; throws listing the problems. */
    public MatchReport verifyWeights() throws IOException {
        MatchReport r = ExpectedWeights.match(config(), weightIndex());
        r.requireExact(dir.toString());
        return r;
    }

    /** Memory-mapped views of the weights (verified against the config first). Close it when the model is gone. */
    public SnapshotWeights openWeights() throws IOException {
        verifyWeights();
        return new SnapshotWeights(weightIndex());
    }

    private Path require(String name) throws IOException {
        Path p = dir.resolve(name);
        if (!Files.isRegularFile(p)) throw new NoSuchFileException(p.toString(), null, "snapshot file not found");
        return p;
    }

    @Override public String toString() { return "Snapshot[" + dir + "]"; }
}
