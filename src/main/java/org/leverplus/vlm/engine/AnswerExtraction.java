package org.leverplus.vlm.engine;

import java.util.regex.Pattern;

/**
 * Lever-Plus' VQA answer post-processing ({@code postprocess_vqa_generation}): cut the generated text at the first
 * "Question", "Answer" or "Short", then at the first ", ". No lower-casing or stripping (VQAEval normalises later).
 */
public final class AnswerExtraction {
    private static final Pattern STOP_WORDS = Pattern.compile("Question|Answer|Short");

    private AnswerExtraction() {}

    public static String extract(String generated) {
        if (generated == null) return "";
        String ans = STOP_WORDS.split(generated, 2)[0];
        int comma = ans.indexOf(", ");
        return comma < 0 ? ans : ans.substring(0, comma);
    }
}
