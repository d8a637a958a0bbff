package org.leverplus.vlm;

import org.leverplus.hf.MatchReport;
import org.leverplus.hf.Snapshot;
import org.leverplus.hf.SnapshotWeights;
import org.leverplus.hf.WeightIndex;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * A Hugging Face snapshot directory of Qwen2.5-VL: the shared {@link Snapshot} (files, shards, index, strict
 * matching) plus Qwen's {@code config.json}, {@code generation_config.json} and {@code preprocessor_config.json}
 * records and the weight names and shapes they imply ({@link Qwen25VlWeights}, either {@link WeightLayout}).
 * Each file is read when first asked for, and cached.
 */
public final class Qwen25VlSnapshot {
    public static final String TOKENIZER_FILE = Snapshot.TOKENIZER_FILE;
    public static final String TOKENIZER_CONFIG_FILE = Snapshot.TOKENIZER_CONFIG_FILE;
    public static final String CHAT_TEMPLATE_FILE = Snapshot.CHAT_TEMPLATE_FILE;

    private final Snapshot files;
    private Qwen25VlConfig config;
    private GenerationConfig generationConfig;
    private PreprocessorConfig preprocessorConfig;

    private Qwen25VlSnapshot(Snapshot files) { this.files = files; }

    /** Opens a snapshot directory; fails only if it is not a directory. */
    public static Qwen25VlSnapshot open(Path dir) throws IOException {
        return new Qwen25VlSnapshot(Snapshot.open(dir, WeightLayout.FAMILY));
    }

    /** The shared snapshot underneath. */
    public Snapshot files() { return files; }

    public Path dir() { return files.dir(); }

    /** {@code config.json}, read once. */
    public synchronized Qwen25VlConfig config() throws IOException {
        if (config == null) config = Qwen25VlConfig.read(files.require(Qwen25VlConfig.FILE));
        return config;
    }

    /** {@code generation_config.json}, or the Qwen2.5-VL defaults when the snapshot has none. */
    public synchronized GenerationConfig generationConfig() throws IOException {
        if (generationConfig == null) {
            Path p = dir().resolve(GenerationConfig.FILE);
            generationConfig = Files.isRegularFile(p) ? GenerationConfig.read(p) : GenerationConfig.defaults();
        }
        return generationConfig;
    }

    /** {@code preprocessor_config.json} (required: the pixel limits differ between snapshots). */
    public synchronized PreprocessorConfig preprocessorConfig() throws IOException {
        if (preprocessorConfig == null) preprocessorConfig = PreprocessorConfig.read(files.require(PreprocessorConfig.FILE));
        return preprocessorConfig;
    }

    /** The path of {@code tokenizer.json}, which must exist. */
    public Path tokenizerJson() throws IOException { return files.tokenizerJson(); }

    /** The path of {@code tokenizer_config.json}, if present. */
    public Optional<Path> tokenizerConfigJson() { return files.tokenizerConfigJson(); }

    /** The Jinja chat template text, for comparison with the template Lever renders in Java. */
    public Optional<String> chatTemplate() throws IOException { return files.chatTemplate(); }

    /** The safetensors headers of all shards under canonical (legacy) names, read once. */
    public WeightIndex weightIndex() throws IOException { return files.weightIndex(); }

    /** Checks every weight's presence, shape and dtype against {@code config.json}; throws listing the problems. */
    public MatchReport verifyWeights() throws IOException {
        return files.verifyWeights(Qwen25VlWeights.of(config()), Qwen25VlWeights.optional(config()));
    }

    /** Memory-mapped views of the weights (verified against the config first). Close it when the model is gone. */
    public SnapshotWeights openWeights() throws IOException {
        return files.openWeights(Qwen25VlWeights.of(config()), Qwen25VlWeights.optional(config()));
    }

    @Override public String toString() { return "Qwen25VlSnapshot[" + dir() + "]"; }
}
