package org.leverplus.cli;

import org.leverplus.reward.RewardConfig;
import org.leverplus.reward.RewardMode;
import org.leverplus.selector.Embeddings;
import org.leverplus.selector.PointerSelector;
import org.leverplus.selector.SelectorArch;
import org.leverplus.selector.SelectorConfig;
import org.leverplus.torch.TensorScope;
import org.leverplus.torch.TorchRuntime;
import org.leverplus.train.TrainConfig;
import org.leverplus.train.Trainer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/** {@code lever train}: selector training phases SFT → RCE → GRPO into a run directory. */
@Command(name = "train", mixinStandardHelpOptions = true, description = "Train the pointer selector: SFT -> RCE -> GRPO (defaults: RCE only, 5 epochs).",
        sortOptions = false)
final class TrainCommand implements Callable<Integer> {
    /** The values of --reward-mode, for the help text. */
    static final class RewardModes implements Iterable<String> {
        @Override public java.util.Iterator<String> iterator() {
            return java.util.Arrays.stream(RewardMode.values()).map(m -> m.name().toLowerCase(java.util.Locale.ROOT)).iterator();
        }
    }

    @Option(names = "--run-dir", required = true, description = "Output directory (refused if it holds outputs, unless --overwrite/--resume).")
    Path runDir;
    @Option(names = "--rl-data", description = "RL data JSON (needed by RCE and GRPO).") Path rlData;
    @Option(names = "--embeddings", required = true, description = "Embedding matrix [N_train, d]: a safetensors file or a PyTorch .pt (told apart by content, not by name).") Path embeddings;
    @Option(names = "--sft-data", description = "SFT beam JSON (id_list per anchor).") Path sftData;
    @Option(names = "--sft-pools", description = "JSON {anchor: [global ids]} candidate pools for SFT labels (default: the beams' ICDs).") Path sftPools;

    @Option(names = "--arch", defaultValue = "v3", description = "v3 or v4_5_additive (default ${DEFAULT-VALUE}).") String arch;
    @Option(names = "--hidden-dim", description = "Hidden size H (default ${DEFAULT-VALUE}).", defaultValue = "256") int hidden;
    @Option(names = "--num-layers", description = "Cross-attention layers, 0..64 (default ${DEFAULT-VALUE}).", defaultValue = "1") int layers;
    @Option(names = "--dropout", description = "Dropout on query and candidates (default ${DEFAULT-VALUE}).", defaultValue = "0.5") double dropout;
    @Option(names = "--attn-dropout", description = "Attention-weight dropout (default ${DEFAULT-VALUE}).", defaultValue = "0.1") double attnDropout;
    @Option(names = "--dropout-sharing", defaultValue = "per-group",
            description = "per-group (default: one set of candidate-side masks per query group; same marginal distribution and "
                    + "expected gradient, much cheaper) or per-sequence (the original: independent masks per candidate sequence).")
    String dropoutSharing;

    @Option(names = "--sft-epochs", description = "SFT epochs (needs --sft-data) (default ${DEFAULT-VALUE}).", defaultValue = "0") int sftEpochs;
    @Option(names = "--sft-lr", description = "SFT AdamW learning rate (default ${DEFAULT-VALUE}).", defaultValue = "1e-4") double sftLr;
    @Option(names = "--sft-weight-decay", description = "SFT AdamW weight decay (default ${DEFAULT-VALUE}).", defaultValue = "1e-3") double sftWd;
    @Option(names = "--label-smoothing", defaultValue = "0.0", description = "SFT label smoothing (default ${DEFAULT-VALUE}).") double smoothing;

    @Option(names = "--rce-epochs", description = "RCE epochs (default ${DEFAULT-VALUE}).", defaultValue = "5") int rceEpochs;
    @Option(names = "--rce-lr", description = "RCE AdamW learning rate (default ${DEFAULT-VALUE}).", defaultValue = "1e-4") double rceLr;
    @Option(names = "--rce-weight-decay", description = "RCE AdamW weight decay (default ${DEFAULT-VALUE}).", defaultValue = "0.01") double rceWd;
    @Option(names = "--rce-temp-start", description = "RCE weight temperature at the first step (default ${DEFAULT-VALUE}).", defaultValue = "2.0") double tempStart;
    @Option(names = "--rce-temp-end", description = "RCE weight temperature at the last step (default ${DEFAULT-VALUE}).", defaultValue = "0.5") double tempEnd;
    @Option(names = "--rce-use-raw-reward", negatable = true, defaultValue = "true", fallbackValue = "true",
            description = "RCE weights from raw rewards (default on; --no-rce-use-raw-reward uses normalised ones).") boolean rceRaw;
    @Option(names = "--reward-mode", description = "Reward formula: ${COMPLETION-CANDIDATES} (default ${DEFAULT-VALUE}).", defaultValue = "hard_plus_soft",
            completionCandidates = RewardModes.class) String rewardMode;
    @Option(names = "--skip-fallback-reward", negatable = true, description = "Skip fallback-labelled candidates (default ${DEFAULT-VALUE}).", defaultValue = "true", fallbackValue = "true") boolean skipFallback;

    @Option(names = "--grpo-epochs", defaultValue = "0", description = "0 (default): GRPO does not run and writes nothing.") int grpoEpochs;
    @Option(names = "--grpo-lr", description = "GRPO AdamW learning rate (default ${DEFAULT-VALUE}).", defaultValue = "5e-6") double grpoLr;
    @Option(names = "--grpo-weight-decay", description = "GRPO AdamW weight decay (default ${DEFAULT-VALUE}).", defaultValue = "0.01") double grpoWd;
    @Option(names = "--clip-epsilon", description = "PPO clip epsilon (default ${DEFAULT-VALUE}).", defaultValue = "0.2") double clipEps;
    @Option(names = "--kl-beta", description = "Initial KL weight beta (default ${DEFAULT-VALUE}).", defaultValue = "0.1") double klBeta;
    @Option(names = "--adaptive-kl", negatable = true, description = "Adapt beta after every step (x1.5 above KL 0.1, /1.5 below 0.01) (default ${DEFAULT-VALUE}).", defaultValue = "true", fallbackValue = "true") boolean adaptiveKl;
    @Option(names = "--grpo-reference", defaultValue = "before-grpo", description = "before-grpo (default) or before-rce (the original: the SFT policy).") String grpoRef;
    @Option(names = "--grpo-curriculum", description = "Top-k curriculum (3 then 5 candidates); off by default.") boolean curriculum;
    @Option(names = "--freeze-backbone", description = "Freeze input/query/cand projections during GRPO.") boolean freeze;
    @Option(names = "--ppo-clip-only", description = "GRPO without the KL term.") boolean ppoOnly;

    @Option(names = "--init", description = "Starting checkpoint of the first phase that runs.") Path init;
    @Option(names = "--init-sft", description = "Starting checkpoint of the SFT phase (overrides --init).") Path initSft;
    @Option(names = "--init-rce", description = "Starting checkpoint of the RCE phase (default: the model SFT ends with, or --init).") Path initRce;
    @Option(names = "--init-grpo", description = "Starting checkpoint of the GRPO phase (default: the model RCE ends with, or --init).") Path initGrpo;
    @Option(names = "--allow-missing", split = ",", description = "Glob patterns of parameters an --init checkpoint may lack (left at initialisation).")
    List<String> allowMissing = new ArrayList<>();
    @Option(names = "--ignore-unexpected", split = ",", description = "Glob patterns of extra --init checkpoint tensors to ignore.")
    List<String> ignoreUnexpected = new ArrayList<>();

    @Option(names = "--batch-groups", defaultValue = "1", description = "Query groups per step (default 1 = the original loop).") int batchGroups;
    @Option(names = "--seed", description = "Random seed (shuffling, dropout, initialisation) (default ${DEFAULT-VALUE}).", defaultValue = "42") long seed;
    @Option(names = "--no-shuffle", description = "Keep the groups in file order every epoch (default: shuffled with --seed).") boolean noShuffle;
    @Option(names = "--grad-clip", description = "Gradient-norm clip, > 0 (default ${DEFAULT-VALUE}).", defaultValue = "1.0") double gradClip;
    @Option(names = "--train-ratio", description = "Fraction of sorted query keys used for training (default ${DEFAULT-VALUE}).", defaultValue = "0.8") double trainRatio;
    @Option(names = "--device", defaultValue = "cpu", description = "cpu (default) or cuda[:N].") String device;
    @Option(names = "--overwrite", description = "Replace the outputs of an earlier run in --run-dir (refused while another lever process writes there).") boolean overwrite;
    @Option(names = "--resume", description = "Continue the run in --run-dir from its last completed epoch (bit-exact), or add epochs to a finished run (raise --*-epochs; nothing else may change).") boolean resume;
    @Option(names = "--json", description = "Print a JSON summary (run_dir, final_checkpoint, best_checkpoint, best_epochs) instead of the log.") boolean json;

    @Override public Integer call() throws Exception {
        TorchRuntime.init();
        if (batchGroups < 1) throw new IllegalArgumentException("--batch-groups must be >= 1, got " + batchGroups);
        if (overwrite && resume) throw new IllegalArgumentException("--overwrite and --resume exclude each other");
        int d;
        try (TensorScope s = TensorScope.open()) { d = (int) Embeddings.load(embeddings).size(1); }
        SelectorConfig sc = new SelectorConfig(SelectorArch.parse(arch), d, hidden, layers, 1, dropout, attnDropout, 0.1, 2);
        RewardConfig rc = RewardConfig.defaults().withMode(RewardMode.parse(rewardMode)).withSkipFallback(skipFallback).withRceUseRawReward(rceRaw);
        PointerSelector.DropoutSharing sharing = switch (dropoutSharing) {
            case "per-sequence" -> PointerSelector.DropoutSharing.PER_SEQUENCE;
            case "per-group" -> PointerSelector.DropoutSharing.PER_GROUP;
            default -> throw new IllegalArgumentException("--dropout-sharing: expected per-sequence or per-group, got " + dropoutSharing);
        };
        TrainConfig.GrpoReference ref = switch (grpoRef) {
            case "before-grpo" -> TrainConfig.GrpoReference.BEFORE_GRPO;
            case "before-rce" -> TrainConfig.GrpoReference.BEFORE_RCE;
            default -> throw new IllegalArgumentException("--grpo-reference: expected before-grpo or before-rce, got " + grpoRef);
        };
        Path iS = initSft, iR = initRce, iG = initGrpo;
        if (init != null) {
            if (sftEpochs > 0 && iS == null) iS = init;
            else if (sftEpochs <= 0 && rceEpochs > 0 && iR == null) iR = init;
            else if (sftEpochs <= 0 && rceEpochs <= 0 && iG == null) iG = init;
        }
        TrainConfig cfg = TrainConfig.defaults(runDir, rlData, embeddings).withSelector(sc)
                .withSft(sftData, sftPools, smoothing)
                .withPhases(new TrainConfig.Phase(sftEpochs, sftLr, sftWd, iS), new TrainConfig.Phase(rceEpochs, rceLr, rceWd, iR),
                        new TrainConfig.Phase(grpoEpochs, grpoLr, grpoWd, iG))
                .withRun(seed, !noShuffle, batchGroups, overwrite, resume)
                .withGrpoOptions(new TrainConfig.GrpoOptions(clipEps, klBeta, adaptiveKl, ref, curriculum, 1, 3, 5, freeze, ppoOnly))
                .withOptions(rc, sharing, gradClip, tempStart, tempEnd, allowMissing, ignoreUnexpected);
        cfg = cfg.withTrainRatio(trainRatio);
        java.io.PrintStream log = json ? new java.io.PrintStream(java.io.OutputStream.nullOutputStream()) : System.out;
        Trainer.Result r = new Trainer(cfg, log).device(device).run();
        Path best = runDir.resolve("best.safetensors");
        if (json) {
            com.fasterxml.jackson.databind.node.ObjectNode o = org.leverplus.io.JsonSupport.mapper().createObjectNode();
            o.put("run_dir", runDir.toString());
            o.put("final_checkpoint", r.finalCheckpoint() == null ? null : r.finalCheckpoint().toString());
            o.put("best_checkpoint", java.nio.file.Files.exists(best) && !r.best().isEmpty() ? best.toString() : null);
            com.fasterxml.jackson.databind.node.ObjectNode bo = o.putObject("best_epochs");
            r.best().forEach((phase, b) -> bo.putObject(phase).put("epoch", ((Number) b.get("epoch")).intValue())
                    .put("val_loss", ((Number) b.get("val_loss")).doubleValue()));
            System.out.println(org.leverplus.io.JsonSupport.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(o));
            return 0;
        }
        System.out.println("final checkpoint: " + (r.finalCheckpoint() == null ? "(no phase ran)" : r.finalCheckpoint()));
        r.best().forEach((phase, b) -> System.out.printf(java.util.Locale.ROOT, "best %s epoch: %d (val loss %.5f)%n", phase,
                ((Number) b.get("epoch")).intValue(), ((Number) b.get("val_loss")).doubleValue()));
        if (r.finalCheckpoint() != null) {
            if (r.best().isEmpty()) System.out.println("no validation data (--train-ratio 1): no best epoch; use the final checkpoint");
            else System.out.println("best checkpoint: " + best + " (the best validation epoch of the last phase)");
        }
        return 0;
    }
}
