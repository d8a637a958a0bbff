package org.leverplus.data;

/**
 * Where a candidate's correctness label came from ({@code vqa_eval_mode}).
 *
 * <p>Lever-Plus writes {@code "vqaEval"} (generator) or {@code "train"}/{@code "val"} (augmentation: the split whose
 * annotation file the official metric used); all three mean the official metric and read as {@link #OFFICIAL}.
 * A file without the field (the VQAv2 balanced variant, old generations) is {@link #UNKNOWN}, never official.
 */
public enum EvalMode {
    /** The official VQAv2 metric, computed from the question's 10 human answers. */
    OFFICIAL,
    /** Lever-Plus's string-match fallback (exact 1.0, substring 0.5), used when answers were missing. */
    FALLBACK,
    /** Labelling failed (generation or metric error); the label is meaningless. */
    ERROR,
    /** The file does not say. */
    UNKNOWN,
    /** The field holds a value this project does not know (reported by {@code lever data validate}). */
    UNRECOGNISED;

    /** The value this project writes for a mode (Lever-Plus's own names are read, never written). */
    public String jsonValue() {
        return switch (this) {
            case OFFICIAL -> "official";
            case FALLBACK -> "fallback";
            case ERROR -> "error";
            case UNKNOWN, UNRECOGNISED -> throw new IllegalStateException("eval mode " + this + " has no JSON value");
        };
    }

    /** Parses a raw {@code vqa_eval_mode} value; {@code null} (field absent or JSON null) gives {@link #UNKNOWN}. */
    public static EvalMode parse(String raw) {
        if (raw == null) return UNKNOWN;
        return switch (raw) {
            case "official", "vqaEval", "train", "val" -> OFFICIAL;
            case "fallback" -> FALLBACK;
            case "error" -> ERROR;
            default -> UNRECOGNISED;
        };
    }
}
