package org.leverplus.metric;

/**
 * Lever-Plus's post-processing of a generation before scoring ({@code postprocess_vqa_generation}): cut at the first
 * {@code Question}, {@code Answer} or {@code Short}, then at the first {@code ", "}. No lower-casing or stripping here;
 * the metric normalises. A separate, named step: the metric itself never extracts.
 */
public final class AnswerExtraction {
    private static final String[] STOP_WORDS = {"Question", "Answer", "Short"};

    private AnswerExtraction() {
    }

    /** The extracted answer; {@code null} gives "" as in the original. */
    public static String extract(String generation) {
        if (generation == null) return "";
        int cut = generation.length();
        for (String w : STOP_WORDS) {
            int i = generation.indexOf(w);
            if (i >= 0 && i < cut) cut = i;
        }
        String ans = generation.substring(0, cut);
        int comma = ans.indexOf(", ");
        return comma >= 0 ? ans.substring(0, comma) : ans;
    }
}
