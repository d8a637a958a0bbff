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

@Command(name = "score", description = "Log-probability of each request's answer span (sum, mean, per token).")
final class VlmScoreCommand implements Callable<Integer> {
    @Mixin VlmEngineOptions o;

    @Override public Integer call() throws Exception {
        VlmRun.Summary s = VlmRun.score(o.snapshot, o.requests, o.out, o.settings(), System.err);
        System.out.println("vlm score: " + s + " -> " + o.out);
        return 0;
    }
}

