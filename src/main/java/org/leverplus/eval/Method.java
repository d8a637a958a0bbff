package org.leverplus.eval;

import java.util.Locale;

/** The evaluated ICD sources (spec 12.3-12.4). */
public enum Method {
    /** The trained pointer selector, picking from each question's own candidate pool. */
    SELECTOR,
    /** No ICDs (the original's ZeroRetriever; evaluated once per requested shot count, with 0 ICDs). */
    ZERO,
    /** NumPy-seeded random ICDs, identical to the original's RandRetriever. */
    RANDOM,
    /** MMTopK: validation image features against training image features. */
    I2I,
    /** MMTopK: validation image features against training question-text features. */
    I2T,
    /** MMTopK: validation question-text features against training question-text features. */
    T2T,
    /** The mix sampler's proportions: half random, a quarter image-similar, the rest text-similar. */
    MIX;

    public String key() { return name().toLowerCase(Locale.ROOT); }

    public static Method parse(String s) {
        for (Method m : values()) if (m.key().equals(s.trim().toLowerCase(Locale.ROOT))) return m;
        throw new IllegalArgumentException("unknown method \"" + s + "\": expected one of selector, zero, random, i2i, i2t, t2t, mix");
    }
}
