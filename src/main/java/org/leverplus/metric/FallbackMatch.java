package org.leverplus.metric;

import java.util.List;

/**
 * Lever-Plus's string-match fallback, used when the official metric cannot be computed (spec section 8.3): on
 * lower-cased stripped strings, exact match with any human answer → 1.0, substring either way → 0.5, else 0. An empty
 * prediction is a substring of every answer and gets 0.5 (unless an answer is empty too). Labels produced this way
 * must be marked {@code vqa_eval_mode = "fallback"}.
 */
public final class FallbackMatch {
    private FallbackMatch() {
    }

    public static double score(String prediction, List<String> answers) {
        String p = PythonText.strip(PythonText.lower(prediction == null ? "" : prediction));
        boolean partial = false;
        for (String a : answers) {
            String g = PythonText.strip(PythonText.lower(a));
            if (g.equals(p)) return 1.0;
            if (g.contains(p) || p.contains(g)) partial = true;
        }
        return partial ? 0.5 : 0.0;
    }
}
