package org.leverplus.reward;

import org.leverplus.data.RlCandidate;

/** The scalar reward of one candidate (Lever-Plus {@code compute_reward_for_candidate}, spec section 9.1). */
public final class CandidateReward {
    private CandidateReward() {
    }

    /**
     * The reward of {@code c} under {@code cfg}, clipped to {@code [clipMin, clipMax]}. Missing fields count as 0
     * (for VQAv2 balanced files, which lack {@code vqa_correct}, {@code hard_plus_soft} therefore gives {@code acc}).
     *
     * @throws IllegalArgumentException for {@link RewardMode#HYBRID}, which Lever-Plus accepts on its command line but
     *                                  never implemented
     */
    public static double compute(RlCandidate c, RewardConfig cfg) {
        double hard = c.vqaCorrect() == null ? 0.0 : c.vqaCorrect();
        double soft = orZero(c.vqaAccScore());
        double gtprob = orZero(c.vqaGtProb());
        double rel = orZero(c.vqaRelScore());
        return compute(cfg, hard, soft, gtprob, rel, c.vqaCorrect() != null, c.beamScore(), c.logprobScore());
    }

    /**
     * The formula on plain values ({@code hasHard} tells {@code legacy} whether {@code vqa_correct} exists; when it
     * does not, {@code legacy} uses the accuracy as correctness, as the original does).
     */
    public static double compute(RewardConfig cfg, double hard, double soft, double gtprob, double rel,
                                 boolean hasHard, Double beamScore, Double logprobScore) {
        double wh = cfg.hardWeight(), ws = cfg.softWeight(), wr = cfg.relWeight();
        double r = switch (cfg.mode()) {
            case HARD_PLUS_SOFT -> wh * hard + ws * soft;
            case HARD_PLUS_SOFT_V2 -> ws * soft + 2 * wh * hard;
            case HARD_ONLY -> wh * hard;
            case SOFT_ONLY -> ws * soft;
            case SEPARATED -> hard == 1.0 ? 2 * wh + ws * soft : ws * soft;
            case HARD01_PLUS_GTPROB -> wh * hard + ws * gtprob;
            case HARD01_PLUS_GTPROB_SEPARATED -> hard == 1.0 ? 2 * wh + ws * gtprob : ws * gtprob;
            case HARD_PLUS_GTPROB_PLUS_REL -> wh * hard + ws * gtprob + wr * (1 - hard) * rel;
            case LEGACY -> {
                double base = hasHard ? hard : soft;
                double correctness = cfg.legacyPlusMinusOne() ? 2 * base - 1 : base;
                double quality = cfg.legacyUseLogprob()
                        ? (logprobScore == null ? 0.0 : -logprobScore)
                        : (beamScore == null ? 0.0 : beamScore);
                yield cfg.legacyAlpha() * quality + cfg.legacyBeta() * correctness;
            }
            case HYBRID -> throw new IllegalArgumentException(
                    "reward_mode hybrid: listed by Lever-Plus's command line but not implemented by it; choose another mode");
        };
        return Math.max(cfg.clipMin(), Math.min(cfg.clipMax(), r));
    }

    private static double orZero(Double d) {
        return d == null ? 0.0 : d;
    }
}
