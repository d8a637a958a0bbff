package org.leverplus.reward;

import java.util.Set;

/**
 * Everything that decides a candidate's reward and which candidates form a query group. Defaults are those of every
 * reported Lever-Plus run ({@link #defaults()}).
 *
 * @param mode                 reward formula (default {@link RewardMode#HARD_PLUS_SOFT})
 * @param hardWeight           wh (default 1.0)
 * @param softWeight           ws (default 1.0)
 * @param relWeight            wr (default 0.1)
 * @param clipMin              lower reward clip (default −5)
 * @param clipMax              upper reward clip (default 5)
 * @param legacyAlpha          {@code legacy}: weight of the quality term (default 0)
 * @param legacyBeta           {@code legacy}: weight of the correctness term (default 0)
 * @param legacyPlusMinusOne   {@code legacy}: correctness as 2·hard−1 ("pm1") instead of hard ("01", default)
 * @param legacyUseLogprob     {@code legacy}: quality = −logprob_score instead of beam_score (default false)
 * @param skipFallback         drop candidates labelled by the string-match fallback (default true;
 *                             Lever-Plus's {@code --no_skip_fallback_reward} turns it off)
 * @param rceUseRawReward      RCE weights from raw rewards (default true, as every reported script passes) instead
 *                             of normalised ones
 * @param normalizeMethod      group normalisation (default {@link NormalizeMethod#Z_SCORE_CLAMP})
 * @param normalizeClamp       clamp of {@code z_score_clamp} (default 3)
 * @param requirePositiveQuery drop groups without any reward ≥ 1.0 (default false)
 * @param genMethods           keep only candidates with these {@code gen_method} values; empty = all (default)
 */
public record RewardConfig(RewardMode mode, double hardWeight, double softWeight, double relWeight,
                           double clipMin, double clipMax,
                           double legacyAlpha, double legacyBeta, boolean legacyPlusMinusOne, boolean legacyUseLogprob,
                           boolean skipFallback, boolean rceUseRawReward,
                           NormalizeMethod normalizeMethod, double normalizeClamp,
                           boolean requirePositiveQuery, Set<String> genMethods) {

    public RewardConfig {
        if (mode == null) throw new IllegalArgumentException("reward_mode: must not be null");
        if (normalizeMethod == null) throw new IllegalArgumentException("normalize_method: must not be null");
        if (!(clipMin <= clipMax))
            throw new IllegalArgumentException("reward_clip: expected min <= max but found [" + clipMin + ", " + clipMax + "]");
        if (!(normalizeClamp > 0))
            throw new IllegalArgumentException("normalize_clamp_value: expected > 0 but found " + normalizeClamp);
        genMethods = genMethods == null ? Set.of() : Set.copyOf(genMethods);
    }

    /** The Lever-Plus defaults: hard_plus_soft, weights 1/1/0.1, clip ±5, skip fallback, raw RCE rewards, z_score_clamp ±3. */
    public static RewardConfig defaults() {
        return new RewardConfig(RewardMode.HARD_PLUS_SOFT, 1.0, 1.0, 0.1, -5.0, 5.0,
                0.0, 0.0, false, false, true, true, NormalizeMethod.Z_SCORE_CLAMP, 3.0, false, Set.of());
    }

    public RewardConfig withMode(RewardMode m) {
        return new RewardConfig(m, hardWeight, softWeight, relWeight, clipMin, clipMax, legacyAlpha, legacyBeta,
                legacyPlusMinusOne, legacyUseLogprob, skipFallback, rceUseRawReward, normalizeMethod, normalizeClamp,
                requirePositiveQuery, genMethods);
    }

    public RewardConfig withWeights(double wh, double ws, double wr) {
        return new RewardConfig(mode, wh, ws, wr, clipMin, clipMax, legacyAlpha, legacyBeta,
                legacyPlusMinusOne, legacyUseLogprob, skipFallback, rceUseRawReward, normalizeMethod, normalizeClamp,
                requirePositiveQuery, genMethods);
    }

    public RewardConfig withLegacy(double alpha, double beta, boolean plusMinusOne, boolean useLogprob) {
        return new RewardConfig(mode, hardWeight, softWeight, relWeight, clipMin, clipMax, alpha, beta,
                plusMinusOne, useLogprob, skipFallback, rceUseRawReward, normalizeMethod, normalizeClamp,
                requirePositiveQuery, genMethods);
    }

    public RewardConfig withSkipFallback(boolean skip) {
        return new RewardConfig(mode, hardWeight, softWeight, relWeight, clipMin, clipMax, legacyAlpha, legacyBeta,
                legacyPlusMinusOne, legacyUseLogprob, skip, rceUseRawReward, normalizeMethod, normalizeClamp,
                requirePositiveQuery, genMethods);
    }

    public RewardConfig withRceUseRawReward(boolean raw) {
        return new RewardConfig(mode, hardWeight, softWeight, relWeight, clipMin, clipMax, legacyAlpha, legacyBeta,
                legacyPlusMinusOne, legacyUseLogprob, skipFallback, raw, normalizeMethod, normalizeClamp,
                requirePositiveQuery, genMethods);
    }

    public RewardConfig withNormalization(NormalizeMethod method, double clamp) {
        return new RewardConfig(mode, hardWeight, softWeight, relWeight, clipMin, clipMax, legacyAlpha, legacyBeta,
                legacyPlusMinusOne, legacyUseLogprob, skipFallback, rceUseRawReward, method, clamp,
                requirePositiveQuery, genMethods);
    }

    public RewardConfig withRequirePositiveQuery(boolean require) {
        return new RewardConfig(mode, hardWeight, softWeight, relWeight, clipMin, clipMax, legacyAlpha, legacyBeta,
                legacyPlusMinusOne, legacyUseLogprob, skipFallback, rceUseRawReward, normalizeMethod, normalizeClamp,
                require, genMethods);
    }

    public RewardConfig withGenMethods(Set<String> methods) {
        return new RewardConfig(mode, hardWeight, softWeight, relWeight, clipMin, clipMax, legacyAlpha, legacyBeta,
                legacyPlusMinusOne, legacyUseLogprob, skipFallback, rceUseRawReward, normalizeMethod, normalizeClamp,
                requirePositiveQuery, methods);
    }

    public RewardConfig withClip(double min, double max) {
        return new RewardConfig(mode, hardWeight, softWeight, relWeight, min, max, legacyAlpha, legacyBeta,
                legacyPlusMinusOne, legacyUseLogprob, skipFallback, rceUseRawReward, normalizeMethod, normalizeClamp,
                requirePositiveQuery, genMethods);
    }
}
