package org.leverplus.metric;

import org.leverplus.data.EvalMode;

import java.util.List;

/**
 * A candidate's correctness with its provenance: {@code vqa_acc_score}, {@code vqa_correct} and {@code vqa_eval_mode}.
 *
 * @param acc     accuracy in [0, 1]
 * @param correct 1 when acc &gt; 0 (at least one matching human answer), else 0
 * @param mode    {@link EvalMode#OFFICIAL}, {@link EvalMode#FALLBACK} or {@link EvalMode#ERROR}
 */
public record CorrectnessLabel(double acc, int correct, EvalMode mode) {
    /**
     * Labels a prediction: the official metric when the human answers are known; the string-match fallback only when
     * they are missing ({@code answers == null}) but some reference strings exist ({@code fallbackReferences});
     * {@link EvalMode#ERROR} (zeros) when neither exists.
     */
    public static CorrectnessLabel of(String prediction, List<String> answers, List<String> fallbackReferences) {
        if (answers != null && !answers.isEmpty()) {
            double acc = VqaAccuracy.official().score(prediction, answers);
            return new CorrectnessLabel(acc, acc > 0 ? 1 : 0, EvalMode.OFFICIAL);
        }
        if (fallbackReferences != null && !fallbackReferences.isEmpty()) {
            double acc = FallbackMatch.score(prediction, fallbackReferences);
            return new CorrectnessLabel(acc, acc > 0 ? 1 : 0, EvalMode.FALLBACK);
        }
        return new CorrectnessLabel(0.0, 0, EvalMode.ERROR);
    }
}
