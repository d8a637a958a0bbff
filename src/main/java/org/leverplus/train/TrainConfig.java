package org.leverplus.train;

import org.leverplus.reward.RewardConfig;
import org.leverplus.selector.PointerSelector;
import org.leverplus.selector.SelectorConfig;

import java.nio.file.Path;
import java.util.List;

/**
 * Everything a training run is decided by. Defaults ({@link #defaults}) are the original authors' validated recipe:
 * RCE only (5 epochs, AdamW lr 1e-4, weight decay 0.01, clip 1.0, temperature 2.0 → 0.5, raw hard_plus_soft rewards,
 * fallback candidates skipped), GRPO off (0 epochs), SFT off unless beam data is given. One deliberate difference:
 * dropout masks are drawn once per query group ({@link PointerSelector.DropoutSharing#PER_GROUP}) instead of once per
 * candidate sequence; each candidate's mask has the same distribution, so the expected gradient is unchanged, and
 * {@code PER_SEQUENCE} reproduces the original's independent masks.
 *
 * @param runDir       output directory
 * @param rlData       RL data JSON (RCE and GRPO), or null
 * @param sftData      SFT beam JSON ({@code id_list} per anchor), or null
 * @param sftPools     JSON {anchor: [global ids]} of each anchor's candidate pool for SFT labels, or null
 * @param embeddings   embedding matrix [N_train, d] (.pt or .safetensors)
 * @param batchGroups  query groups per optimizer step (1 = the original loop)
 * @param trainRatio   fraction of sorted numeric query keys used for training (0.8, rest validation)
 */
public record TrainConfig(Path runDir, Path rlData, Path sftData, Path sftPools, Path embeddings,
                          SelectorConfig selector, RewardConfig reward, long seed, boolean shuffle, int batchGroups,
                          PointerSelector.DropoutSharing dropoutSharing, double gradClip, double trainRatio,
                          Phase sft, Phase rce, Phase grpo, double sftLabelSmoothing, double rceTempStart, double rceTempEnd,
                          GrpoOptions grpoOptions, List<String> allowMissing, List<String> ignoreUnexpected,
                          boolean overwrite, boolean resume) {

    public TrainConfig {
        if (!(gradClip > 0)) throw new IllegalArgumentException("--grad-clip must be > 0 (the gradient-norm bound), got " + gradClip);
        if (!(sftLabelSmoothing >= 0 && sftLabelSmoothing < 1))
            throw new IllegalArgumentException("--label-smoothing must be in [0, 1), got " + sftLabelSmoothing);
    }

    /** One phase: epochs (0 = the phase does not run), optimizer settings and an optional starting checkpoint. */
    public record Phase(int epochs, double lr, double weightDecay, Path init) {
        public Phase {
            if (epochs < 0) throw new IllegalArgumentException("epochs must be >= 0, got " + epochs);
            if (!(lr > 0)) throw new IllegalArgumentException("learning rate must be > 0, got " + lr);
            if (weightDecay < 0) throw new IllegalArgumentException("weight decay must be >= 0, got " + weightDecay);
        }
        public Phase withEpochs(int e) { return new Phase(e, lr, weightDecay, init); }
        public Phase withLr(double l) { return new Phase(epochs, l, weightDecay, init); }
        public Phase withInit(Path p) { return new Phase(epochs, lr, weightDecay, p); }
    }

    /** Which policy GRPO's ratio and KL are anchored to. */
    public enum GrpoReference { BEFORE_GRPO, BEFORE_RCE }

    /**
     * @param clipEpsilon   PPO clip ε (0.2)
     * @param klBeta        initial β of the k3 KL term (0.1)
     * @param adaptiveKl    the original's rule after every step: β×1.5 if KL > 0.1, β/1.5 if KL < 0.01, clamp [0.001, 10]
     * @param reference     BEFORE_GRPO (default: the policy GRPO starts from) or BEFORE_RCE (the original: the SFT policy)
     * @param curriculum    top-k curriculum (off by default, spec 14.2 item 7): top {@code earlyTopK} candidates for the
     *                      first {@code earlyEpochs} epochs, then top {@code lateTopK}
     * @param freezeBackbone input/query/cand projections frozen during GRPO
     * @param ppoOnly       drop the KL term
     */
    public record GrpoOptions(double clipEpsilon, double klBeta, boolean adaptiveKl, GrpoReference reference,
                              boolean curriculum, int earlyEpochs, int earlyTopK, int lateTopK, boolean freezeBackbone,
                              boolean ppoOnly) {
        public GrpoOptions {
            if (!(clipEpsilon > 0 && clipEpsilon <= 1)) throw new IllegalArgumentException("--clip-epsilon must be in (0, 1], got " + clipEpsilon);
            if (!(klBeta >= 0 && Double.isFinite(klBeta))) throw new IllegalArgumentException("--kl-beta must be a finite number >= 0, got " + klBeta);
        }

        public static GrpoOptions defaults() {
            return new GrpoOptions(0.2, 0.1, true, GrpoReference.BEFORE_GRPO, false, 1, 3, 5, false, false);
        }
    }

    public static TrainConfig defaults(Path runDir, Path rlData, Path embeddings) {
        return new TrainConfig(runDir, rlData, null, null, embeddings, SelectorConfig.defaults(), RewardConfig.defaults(),
                42, true, 1, PointerSelector.DropoutSharing.PER_GROUP, 1.0, 0.8,
                new Phase(0, 1e-4, 1e-3, null), new Phase(5, 1e-4, 0.01, null), new Phase(0, 5e-6, 0.01, null),
                0.0, 2.0, 0.5, GrpoOptions.defaults(), List.of(), List.of(), false, false);
    }

    public TrainConfig withPhases(Phase sft, Phase rce, Phase grpo) {
        return new TrainConfig(runDir, rlData, sftData, sftPools, embeddings, selector, reward, seed, shuffle, batchGroups, dropoutSharing,
                gradClip, trainRatio, sft, rce, grpo, sftLabelSmoothing, rceTempStart, rceTempEnd, grpoOptions, allowMissing, ignoreUnexpected, overwrite, resume);
    }

    public TrainConfig withSelector(SelectorConfig s) {
        return new TrainConfig(runDir, rlData, sftData, sftPools, embeddings, s, reward, seed, shuffle, batchGroups, dropoutSharing,
                gradClip, trainRatio, sft, rce, grpo, sftLabelSmoothing, rceTempStart, rceTempEnd, grpoOptions, allowMissing, ignoreUnexpected, overwrite, resume);
    }

    public TrainConfig withRun(long seed, boolean shuffle, int batchGroups, boolean overwrite, boolean resume) {
        return new TrainConfig(runDir, rlData, sftData, sftPools, embeddings, selector, reward, seed, shuffle, batchGroups, dropoutSharing,
                gradClip, trainRatio, sft, rce, grpo, sftLabelSmoothing, rceTempStart, rceTempEnd, grpoOptions, allowMissing, ignoreUnexpected, overwrite, resume);
    }

    public TrainConfig withTrainRatio(double ratio) {
        if (!(ratio > 0 && ratio <= 1)) throw new IllegalArgumentException("--train-ratio must be in (0, 1], got " + ratio);
        return new TrainConfig(runDir, rlData, sftData, sftPools, embeddings, selector, reward, seed, shuffle, batchGroups, dropoutSharing,
                gradClip, ratio, sft, rce, grpo, sftLabelSmoothing, rceTempStart, rceTempEnd, grpoOptions, allowMissing, ignoreUnexpected, overwrite, resume);
    }

    public TrainConfig withGrpoOptions(GrpoOptions g) {
        return new TrainConfig(runDir, rlData, sftData, sftPools, embeddings, selector, reward, seed, shuffle, batchGroups, dropoutSharing,
                gradClip, trainRatio, sft, rce, grpo, sftLabelSmoothing, rceTempStart, rceTempEnd, g, allowMissing, ignoreUnexpected, overwrite, resume);
    }

    public TrainConfig withSft(Path data, Path pools, double smoothing) {
        return new TrainConfig(runDir, rlData, data, pools, embeddings, selector, reward, seed, shuffle, batchGroups, dropoutSharing,
                gradClip, trainRatio, sft, rce, grpo, smoothing, rceTempStart, rceTempEnd, grpoOptions, allowMissing, ignoreUnexpected, overwrite, resume);
    }

    public TrainConfig withOptions(RewardConfig reward, PointerSelector.DropoutSharing sharing, double gradClip, double tempStart, double tempEnd,
                                   List<String> allowMissing, List<String> ignoreUnexpected) {
        return new TrainConfig(runDir, rlData, sftData, sftPools, embeddings, selector, reward, seed, shuffle, batchGroups, sharing,
                gradClip, trainRatio, sft, rce, grpo, sftLabelSmoothing, tempStart, tempEnd, grpoOptions, allowMissing, ignoreUnexpected, overwrite, resume);
    }
}
