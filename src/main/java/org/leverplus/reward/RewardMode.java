package org.leverplus.reward;

import java.util.Locale;

/**
 * The {@code reward_mode} values of Lever-Plus's {@code compute_reward_for_candidate} (spec section 9.1), with
 * hard = {@code vqa_correct}, soft = {@code vqa_acc_score}, gtprob = {@code vqa_gt_prob}, rel = {@code vqa_rel_score}
 * (each 0 when missing) and weights wh, ws, wr.
 */
public enum RewardMode {
    /** {@code wh·hard + ws·soft} (the default, used by every reported run). */
    HARD_PLUS_SOFT("hard_plus_soft"),
    /** {@code ws·soft + 2·wh·hard}. */
    HARD_PLUS_SOFT_V2("hard_plus_soft_v2"),
    /** {@code wh·hard}. */
    HARD_ONLY("hard_only"),
    /** {@code ws·soft}. */
    SOFT_ONLY("soft_only"),
    /** hard == 1: {@code 2·wh + ws·soft}; else {@code ws·soft}. */
    SEPARATED("separated"),
    /** {@code wh·hard + ws·gtprob}. */
    HARD01_PLUS_GTPROB("hard01_plus_gtprob"),
    /** hard == 1: {@code 2·wh + ws·gtprob}; else {@code ws·gtprob}. */
    HARD01_PLUS_GTPROB_SEPARATED("hard01_plus_gtprob_separated"),
    /** {@code wh·hard + ws·gtprob + wr·(1 − hard)·rel} (relevance shapes negatives only). */
    HARD_PLUS_GTPROB_PLUS_REL("hard_plus_gtprob_plus_rel"),
    /** {@code alpha·quality + beta·correctness} (quality from beam or log-prob scores). */
    LEGACY("legacy"),
    /** Accepted by Lever-Plus's command line but never implemented there: computing it is an error, as in the original. */
    HYBRID("hybrid");

    private final String name;

    RewardMode(String name) {
        this.name = name;
    }

    /** The name Lever-Plus uses ({@code hard_plus_soft}, ...). */
    public String externalName() {
        return name;
    }

    /** Parses a Lever-Plus mode name (case-insensitive; '-' accepted for '_'). */
    public static RewardMode parse(String s) {
        String k = s.trim().toLowerCase(Locale.ROOT).replace('-', '_');
        for (RewardMode m : values()) if (m.name.equals(k)) return m;
        StringBuilder known = new StringBuilder();
        for (RewardMode m : values()) known.append(known.length() == 0 ? "" : ", ").append(m.name);
        throw new IllegalArgumentException("reward_mode: expected one of " + known + " but found \"" + s + "\"");
    }
}
