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
    @Option(names = "--layout", defaultValue = "legacy", description = "Key layout: legacy (visual.*, model.*) or new (model.visual.*, model.language_model.*) (default ${DEFAULT-VALUE}).")
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
        Path target = out.toAbsolutePath().normalize();
        if (Files.exists(target) && !Files.isDirectory(target))
            throw new IllegalArgumentException(target + ": --out exists and is not a directory");
        if (Files.isDirectory(target) && !overwrite) {
            try (var s = Files.list(target)) {
                if (s.findAny().isPresent()) throw new java.nio.file.FileAlreadyExistsException(target.toString(), null, "directory is not empty; pass --overwrite to replace the snapshot in it");
            }
        }
        if (tokenizer != null) { // checked before anything is written: a snapshot with an unusable tokenizer is no snapshot
            if (!Files.isRegularFile(tokenizer))
                throw new IllegalArgumentException(tokenizer + ": --tokenizer " + (Files.isDirectory(tokenizer) ? "is a directory" : "file not found"));
            try (org.leverplus.vlm.text.QwenTokenizer t = org.leverplus.vlm.text.QwenTokenizer.load(tokenizer)) {
                // loads, so it is a usable tokenizer.json
            } catch (RuntimeException | java.io.IOException e) {
                throw new IllegalArgumentException(tokenizer + ": not a usable tokenizer.json: " + LeverCli.describe(e));
            }
        }
        // all or nothing: the snapshot is written into a hidden sibling directory and moved into place when complete
        Files.createDirectories(target.getParent());
        org.leverplus.io.AtomicOutput.removeStaleTemps(target); // staging directories of killed runs
        Path staging = target.getParent().resolve("." + target.getFileName() + "." + ProcessHandle.current().pid() + "."
                + Long.toHexString(java.util.concurrent.ThreadLocalRandom.current().nextLong() >>> 16) + ".tmp");
        deleteTree(staging);
        try {
            TinySnapshotWriter.write(staging, d, l, seed, tokenizer);
            if (!Files.exists(target) || isEmptyDir(target)) {
                Files.deleteIfExists(target);
                Files.move(staging, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
            } else {
                // --overwrite: the files of any earlier snapshot go (a stale shard would mix key layouts), then the new ones move in
                try (var s = Files.list(target)) {
                    for (Path f : (Iterable<Path>) s::iterator) if (isSnapshotFile(f.getFileName().toString())) Files.delete(f);
                }
                try (var s = Files.list(staging)) {
                    for (Path f : (Iterable<Path>) s::iterator)
                        Files.move(f, target.resolve(f.getFileName()), java.nio.file.StandardCopyOption.ATOMIC_MOVE);
                }
            }
        } finally {
            deleteTree(staging);
        }
        System.out.println("vlm make-tiny: wrote " + preset + " snapshot (" + layout + " keys) to " + out);
        return 0;
    }

    static boolean isSnapshotFile(String n) {
        return n.equals("config.json") || n.equals("generation_config.json") || n.equals("preprocessor_config.json")
                || n.equals("tokenizer.json") || n.equals("tokenizer_config.json") || n.equals("model.safetensors.index.json")
                || (n.startsWith("model") && n.endsWith(".safetensors"));
    }

    private static boolean isEmptyDir(Path p) throws java.io.IOException {
        if (!Files.isDirectory(p)) return false;
        try (var s = Files.list(p)) {
            return s.findAny().isEmpty();
        }
    }

    private static void deleteTree(Path p) throws java.io.IOException {
        if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) return;
        try (var s = Files.walk(p)) {
            for (Path f : (Iterable<Path>) s.sorted(java.util.Comparator.reverseOrder())::iterator) Files.deleteIfExists(f);
        }
    }
}
