package org.leverplus.cli;

import org.leverplus.torch.TorchRuntime;
import org.leverplus.vlm.engine.VlmRun;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.nio.file.Path;

/** Options shared by {@code lever vlm score} and {@code lever vlm generate}. */
final class VlmEngineOptions {
    @Option(names = "--snapshot", required = true, description = "Snapshot directory (config.json + *.safetensors, either key layout).")
    Path snapshot;
    @Option(names = "--json", description = "Print a JSON summary (out, prompts, seconds, prompts_per_s, cache counters) instead of text.")
    boolean json;
    @Option(names = "--requests", required = true, description = "Requests, JSON Lines: token-level ({\"input_ids\": ...}) or Lever-Plus-level ({\"query\": ..., \"icds\": ...}); see docs/vlm-engine.md.")
    Path requests;
    @Option(names = "--out", required = true, description = "Output JSON Lines file.")
    Path out;
    @Option(names = "--overwrite", description = "Replace an existing output file.")
    boolean overwrite;
    @Mixin
    EngineFlags engine = new EngineFlags();
    @Option(names = "--chunk", defaultValue = "256", description = "Requests read and scheduled together (default ${DEFAULT-VALUE}).")
    int chunk;

    VlmRun.Settings settings() {
        TorchRuntime.init();
        return new VlmRun.Settings(engine.model(), engine.engine(), chunk, overwrite);
    }

    /** Prints a run's summary: the --json object, or one line ({@code what}: summary -> out). */
    int report(String what, VlmRun.Summary s) throws java.io.IOException {
        if (json) {
            var j = LeverCli.jsonSummary();
            j.put("out", out.toString());
            j.put("prompts", s.prompts());
            j.put("seconds", s.seconds());
            j.put("prompts_per_s", s.promptsPerSecond());
            j.put("vision_passes", s.visionCalls());
            j.put("prefix_cache_hits", s.prefixHits());
            j.put("prefix_cache_misses", s.prefixMisses());
            LeverCli.printJson(j);
        } else {
            System.out.println(what + ": " + s + " -> " + out);
        }
        return 0;
    }
}
