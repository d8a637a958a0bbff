package org.leverplus.cli;

import org.leverplus.torch.Devices;
import org.leverplus.vlm.engine.EngineOptions;
import org.leverplus.vlm.model.ModelOptions;
import picocli.CommandLine.Option;

/**
 * The in-process VLM engine's flags, one definition for every command that runs it ({@code vlm score|generate},
 * {@code eval}, {@code generate sft}, {@code generate rl}): precision, device, the two caches and the micro-batch
 * bounds. Used as a picocli {@code @Mixin}.
 */
final class EngineFlags {
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

    /** Cache switches and batch bounds. */
    EngineOptions engine() {
        return EngineOptions.defaults().withImageCache(!noImageCache).withPrefixCache(!noPrefixCache).withBatch(batchTokens, batchSize);
    }

    /** Precision and the canonical device name (the device is checked here: a bad one is a one-line error). */
    ModelOptions model() {
        return new ModelOptions(ModelOptions.parseDtype(dtype), Devices.name(Devices.parse(device)));
    }
}
