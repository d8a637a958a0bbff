package org.leverplus.cli;

import org.bytedeco.pytorch.Tensor;
import org.leverplus.reward.RewardConfig;
import org.leverplus.selector.Embeddings;
import org.leverplus.selector.SelectorCheckpoint;
import org.leverplus.selector.SelectorScoring;
import org.leverplus.torch.TensorScope;
import org.leverplus.torch.TorchRuntime;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code lever selector score}: per-query log-probabilities, RCE loss and greedy selections of a checkpoint. */
@Command(name = "selector", mixinStandardHelpOptions = true, description = "Pointer selector tools.", subcommands = SelectorCommand.Score.class)
final class SelectorCommand implements Runnable {
    @picocli.CommandLine.Spec picocli.CommandLine.Model.CommandSpec spec;

    @Override public void run() { LeverCli.missingSubcommand(spec); }

    @Command(name = "score", mixinStandardHelpOptions = true, description = "Score an RL data file with a checkpoint (eval mode): one JSON line per query.")
    static final class Score implements Callable<Integer> {
        @Option(names = "--checkpoint", required = true, description = "Selector checkpoint (.safetensors, loaded strictly).") Path checkpoint;
        @Option(names = "--rl-data", required = true, description = "RL data JSON to score.") Path rlData;
        @Option(names = "--embeddings", required = true, description = "Embedding matrix [N_train, d] (safetensors or .pt).") Path embeddings;
        @Option(names = "--shots", split = ",", defaultValue = "1,2,3,4", description = "Shot counts for the greedy selections (default ${DEFAULT-VALUE}).") List<Integer> shots;
        @Option(names = "--out", required = true, description = "Output JSON Lines file (one object per query).") Path out;
        @Option(names = "--json", description = "Print a JSON summary (out, mean_rce_loss) instead of text.") boolean json;
        @Option(names = "--reward-mode", defaultValue = "hard_plus_soft", description = "Reward formula of the RCE loss (default ${DEFAULT-VALUE}).") String rewardMode;
        @Option(names = "--skip-fallback-reward", negatable = true, defaultValue = "true", fallbackValue = "true",
                description = "Skip fallback-labelled candidates as training does (default on).") boolean skipFallback;
        @Option(names = "--overwrite", description = "Replace an existing output file.") boolean overwrite;

        @Override public Integer call() throws Exception {
            TorchRuntime.init();
            int[] s = shots.stream().mapToInt(Integer::intValue).toArray();
            for (int k : s) if (k < 1) throw new IllegalArgumentException("--shots: expected positive counts, got " + k);
            try (TensorScope scope = TensorScope.open();
                 SelectorCheckpoint.Loaded l = SelectorCheckpoint.load(checkpoint, SelectorCheckpoint.LoadOptions.strict())) {
                Tensor emb = Embeddings.load(embeddings);
                RewardConfig rc = RewardConfig.defaults().withMode(org.leverplus.reward.RewardMode.parse(rewardMode)).withSkipFallback(skipFallback);
                double mean = SelectorScoring.score(l.model(), rlData, emb, s, rc, out, overwrite);
                if (json) {
                    var o = LeverCli.jsonSummary();
                    o.put("out", out.toString());
                    if (Double.isNaN(mean)) o.putNull("mean_rce_loss");
                    else o.put("mean_rce_loss", mean);
                    LeverCli.printJson(o);
                    return 0;
                }
                System.out.println("wrote " + out);
                System.out.printf("mean RCE loss (temperature 1, raw rewards): %.6f%n", mean);
                return 0;
            }
        }
    }
}
