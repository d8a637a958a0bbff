package org.leverplus.cli;

import org.leverplus.torch.Devices;
import org.leverplus.torch.TorchRuntime;
import org.leverplus.vlm.engine.EngineOptions;
import org.leverplus.vlm.engine.GenerationSettings;
import org.leverplus.vlm.engine.VlmRun;
import org.leverplus.vlm.model.ModelDims;
import org.leverplus.vlm.model.ModelOptions;
import org.leverplus.vlm.model.TinySnapshotWriter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;

/** {@code lever vlm ...}: the Qwen2.5-VL engine (answer scoring, generation, tiny test snapshots). */
@Command(name = "vlm", description = "Qwen2.5-VL engine: score answers, generate, write tiny snapshots.",
        subcommands = {VlmCommand.Score.class, VlmCommand.Generate.class, VlmCommand.MakeTiny.class})
final class VlmCommand implements Runnable {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override public void run() { spec.commandLine().usage(System.out); }

    /** Options shared by score and generate. */
    static final class EngineMixin {
        @Option(names = "--snapshot", required = true, description = "Snapshot directory (config.json + *.safetensors, either key layout).")
        Path snapshot;
        @Option(names = "--requests", required = true, description = "Token-level requests, JSON Lines (see docs/vlm-engine.md).")
        Path requests;
        @Option(names = "--out", required = true, description = "Output JSON Lines file.")
        Path out;
        @Option(names = "--overwrite", description = "Replace an existing output file.")
        boolean overwrite;
        @Option(names = "--dtype", defaultValue = "float32", description = "float32 or bfloat16 (default ${DEFAULT-VALUE}).")
        String dtype;
        @Option(names = "--device", defaultValue = "cpu", description = "cpu, cuda or cuda:N (default ${DEFAULT-VALUE}).")
        String device;
        @Option(names = "--no-image-cache", description = "Run the vision tower for every image occurrence.")
        boolean noImageCache;
        @Option(names = "--no-prefix-cache", description = "Recompute shared prompt prefixes for every prompt.")
        boolean noPrefixCache;
        @Option(names = "--batch-tokens", defaultValue = "16384", description = "Micro-batch bound: rows x padded length (default ${DEFAULT-VALUE}).")
        long batchTokens;
        @Option(names = "--batch-size", defaultValue = "64", description = "Micro-batch rows at most (default ${DEFAULT-VALUE}).")
        int batchSize;
        @Option(names = "--chunk", defaultValue = "256", description = "Requests read and scheduled together (default ${DEFAULT-VALUE}).")
        int chunk;

        VlmRun.Settings settings() {
            TorchRuntime.init();
            String dev = Devices.name(Devices.parse(device));
            EngineOptions e = EngineOptions.defaults().withImageCache(!noImageCache).withPrefixCache(!noPrefixCache).withBatch(batchTokens, batchSize);
            return new VlmRun.Settings(new ModelOptions(ModelOptions.parseDtype(dtype), dev), e, chunk, overwrite);
        }
    }

    @Command(name = "score", description = "Log-probability of each request's answer span (sum, mean, per token).")
    static final class Score implements Callable<Integer> {
        @Mixin EngineMixin o;

        @Override public Integer call() throws Exception {
            VlmRun.Summary s = VlmRun.score(o.snapshot, o.requests, o.out, o.settings(), System.err);
            System.out.println("vlm score: " + s + " -> " + o.out);
            return 0;
        }
    }

    @Command(name = "generate", description = "Greedy or beam-search continuation of each request (Lever-Plus: 3 beams, 5 tokens).")
    static final class Generate implements Callable<Integer> {
        @Mixin EngineMixin o;
        @Option(names = "--num-beams", defaultValue = "3", description = "1 = greedy (default ${DEFAULT-VALUE}).")
        int numBeams;
        @Option(names = "--max-new-tokens", defaultValue = "5", description = "Default ${DEFAULT-VALUE}.")
        int maxNewTokens;

        @Override public Integer call() throws Exception {
            GenerationSettings g = new GenerationSettings(numBeams, maxNewTokens, VlmRun.eosIds(o.snapshot));
            VlmRun.Summary s = VlmRun.generate(o.snapshot, o.requests, o.out, o.settings(), g, System.err);
            System.out.println("vlm generate: " + s + " -> " + o.out);
            return 0;
        }
    }

    @Command(name = "make-tiny", description = "Write a valid Qwen2.5-VL snapshot with random weights (tests, demos, benchmarks).")
    static final class MakeTiny implements Callable<Integer> {
        @Option(names = "--out", required = true, description = "Directory to create.")
        Path out;
        @Option(names = "--layout", defaultValue = "legacy", description = "Key layout: legacy (visual.*, model.*) or new (model.visual.*, model.language_model.*).")
        String layout;
        @Option(names = "--preset", defaultValue = "tiny", description = "tiny (hidden 32) or bench (3B-shaped, hidden 256) (default ${DEFAULT-VALUE}).")
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
                default -> throw new IllegalArgumentException("--preset must be tiny or bench, got '" + preset + "'");
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
}
