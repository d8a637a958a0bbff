package org.leverplus.reward;

import java.util.Locale;

/** How a query group's rewards are normalised ({@code normalize_method}, spec section 9.3). */
public enum NormalizeMethod {
    /** {@code (r − mean)/std} with the unbiased std when std &gt; 1e-12, else the raw rewards. */
    Z_SCORE("z_score"),
    /** {@link #Z_SCORE}, then clamped to ±{@code normalize_clamp_value} (default 3). The default. */
    Z_SCORE_CLAMP("z_score_clamp"),
    /** {@code 1 − 2·rank/(N−1)} with rank 0 the highest reward (0 when N = 1). */
    RANK_NORMALIZE("rank_normalize");

    private final String name;

    NormalizeMethod(String name) {
        this.name = name;
    }

    public String externalName() {
        return name;
    }

    public static NormalizeMethod parse(String s) {
        String k = s.trim().toLowerCase(Locale.ROOT).replace('-', '_');
        for (NormalizeMethod m : values()) if (m.name.equals(k)) return m;
        throw new IllegalArgumentException("normalize_method: expected z_score, z_score_clamp or rank_normalize but found \"" + s + "\"");
    }
}
