package org.leverplus.vlm;

/**
 * The two key layouts of Qwen2.5-VL checkpoints, and the canonical name space Lever uses for both.
 *
 * <p>The published snapshots use the <em>legacy</em> layout ({@code visual.*}, {@code model.layers.*},
 * {@code model.embed_tokens.weight}, {@code model.norm.weight}, {@code lm_head.weight} when untied). transformers
 * 4.52+ saves the <em>nested</em> layout ({@code model.visual.*}, {@code model.language_model.*}). Canonical names are
 * the legacy ones, because the real 3B checkpoint is written that way: {@code model.visual.X -> visual.X},
 * {@code model.language_model.X -> model.X}; everything else is kept.
 */
public enum WeightLayout implements org.leverplus.hf.KeyLayout {
    /** {@code visual.*} + {@code model.*}: the published Qwen2.5-VL checkpoints. */
    LEGACY,
    /** {@code model.visual.*} + {@code model.language_model.*}: transformers 4.52+ {@code save_pretrained}. */
    NESTED;

    private static final String NESTED_VISUAL = "model.visual.";
    private static final String NESTED_TEXT = "model.language_model.";

    /** The two layouts as a family for {@link org.leverplus.hf.WeightIndex}; keys that say nothing are legacy. */
    public static final Family FAMILY = new Family() {
        @Override public org.leverplus.hf.KeyLayout of(String storedName) { return WeightLayout.of(storedName); }

        @Override public org.leverplus.hf.KeyLayout fallback() { return LEGACY; }
    };

    /** The layout a stored key belongs to, or null when the key says nothing (e.g. {@code lm_head.weight}). */
    static WeightLayout of(String storedName) {
        if (storedName.startsWith(NESTED_VISUAL) || storedName.startsWith(NESTED_TEXT)) return NESTED;
        if (storedName.startsWith("visual.") || storedName.startsWith("model.")) return LEGACY;
        return null;
    }

    /** The canonical (legacy) name of a stored key (the same for both layouts: their prefixes do not overlap). */
    @Override public String canonical(String storedName) {
        if (storedName.startsWith(NESTED_VISUAL)) return "visual." + storedName.substring(NESTED_VISUAL.length());
        if (storedName.startsWith(NESTED_TEXT)) return "model." + storedName.substring(NESTED_TEXT.length());
        return storedName;
    }

    /** The key this layout stores for a canonical name (used by writers of tiny test snapshots). */
    @Override public String stored(String canonicalName) {
        if (this == LEGACY) return canonicalName;
        if (canonicalName.startsWith("visual.")) return NESTED_VISUAL + canonicalName.substring("visual.".length());
        if (canonicalName.startsWith("model.")) return NESTED_TEXT + canonicalName.substring("model.".length());
        return canonicalName;
    }
}
