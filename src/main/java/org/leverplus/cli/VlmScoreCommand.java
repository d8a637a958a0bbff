package org.leverplus.cli;

import org.leverplus.vlm.engine.VlmRun;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

import java.util.concurrent.Callable;

/** {@code lever vlm score}: answer log-probabilities for a request file ({@link org.leverplus.vlm.engine.VlmRun#score}). */
@Command(name = "score", description = "Log-probability of each request's answer span (sum, mean, per token).")
final class VlmScoreCommand implements Callable<Integer> {
    @Mixin VlmEngineOptions o;

    @Override public Integer call() throws Exception {
        VlmRun.Summary s = VlmRun.score(o.snapshot, o.requests, o.out, o.settings(), System.err);
        return o.report("vlm score", s);
    }
}

