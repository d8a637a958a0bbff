package org.leverplus.cli;

import org.leverplus.torch.TorchRuntime;
import org.leverplus.vlm.model.ModelDims;
import org.leverplus.vlm.model.TinySnapshotWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code lever vlm make-tiny}: a random-weight Qwen2.5-VL snapshot ({@link org.leverplus.vlm.model.TinySnapshotWriter}). */
@Command(name = "make-tiny", description = "Write a valid Qwen2.5-VL snapshot with random weights (tests, demos, benchmarks).")
final class VlmMakeTinyCommand implements Callable<Integer> {
    @Option(names = "--out", required = true, description = "Directory to create.")
    Path out;
    @Option(names = "--layout", defaultValue = "legacy", description = "Key layout: legacy (visual.*, model.*) or new (model.visual.*, model.language_model.*).")
    String layout;
    @Option(names = "--preset", defaultValue = "tiny", description = "tiny (hidden 32), bench (3B-shaped, hidden 256, compact vocabulary) or bench-vocab (bench with Qwen's real vocabulary, for prompts made with the real tokenizer) (default ${DEFAULT-VALUE}).")
    String preset;
    @Option(names = "--seed", defaultValue = "1234", description = "Weight seed (default ${DEFAULT-VALUE}).")
    long seed;
    @Option(names = "--tokenizer", description = "A Qwen2.5 tokenizer.json to copy into the snapshot.")
    Path tokenizer;
    @Option(names = "--overwrite", description = "Write into an existing non-empty directory.")
    boolean overwrite;

    @Override public Integer call() throws Exception {
        TorchRuntime.init();
        TinySnapshotWriter.Layout l = switch (layout) {
            case "legacy" -> TinySnapshotWriter.Layout.LEGACY;
            case "new" -> TinySnapshotWriter.Layout.NEW;
            default -> throw new IllegalArgumentException("--layout must be legacy or new, got '" + layout + "'");
        };
        ModelDims d = switch (preset) {
            case "tiny" -> TinySnapshotWriter.tiny();
            case "bench" -> TinySnapshotWriter.bench();
            case "bench-vocab" -> TinySnapshotWriter.benchRealVocab();
            default -> throw new IllegalArgumentException("--preset must be tiny, bench or bench-vocab, got '" + preset + "'");
        };
        if (Files.isDirectory(out) && !overwrite) {
            try (var s = Files.list(out)) {
                if (s.findAny().isPresent()) throw new java.nio.file.FileAlreadyExistsException(out + " is not empty (use --overwrite)");
            }
        }
        TinySnapshotWriter.write(out, d, l, seed, tokenizer);
        System.out.println("vlm make-tiny: wrote " + preset + " snapshot (" + layout + " keys) to " + out);
        return 0;
    }
}
