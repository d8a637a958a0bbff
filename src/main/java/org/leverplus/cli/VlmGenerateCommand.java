package org.leverplus.cli;

import org.leverplus.vlm.engine.GenerationSettings;
import org.leverplus.vlm.engine.VlmRun;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

import java.util.concurrent.Callable;

/** {@code lever vlm generate}: greedy or beam-search answers for a request file ({@link org.leverplus.vlm.engine.VlmRun#generate}). */
@Command(name = "generate", description = "Greedy or beam-search continuation of each request (Lever-Plus: 3 beams, 5 tokens).")
final class VlmGenerateCommand implements Callable<Integer> {
    @Mixin VlmEngineOptions o;
    @Option(names = "--num-beams", defaultValue = "3", description = "1 = greedy (default ${DEFAULT-VALUE}).")
    int numBeams;
    @Option(names = "--max-new-tokens", defaultValue = "5", description = "Default ${DEFAULT-VALUE}.")
    int maxNewTokens;

    GenerationSettings generationSettings() throws java.io.IOException {
        return new GenerationSettings(numBeams, maxNewTokens, VlmRun.eosIds(o.snapshot));
    }

    @Override public Integer call() throws Exception {
        VlmRun.Summary s = VlmRun.generate(o.snapshot, o.requests, o.out, o.settings(), generationSettings(), System.err);
        return o.report("vlm generate", s);
    }
}

