package org.leverplus.metric;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;

/**
 * The official VQAv2 per-question accuracy (GT-Vision-Lab/VQA {@code vqaEval.py}, commit a013f00), exactly:
 * <ol>
 *   <li>cleaning: {@code \n}, {@code \t} → space, Python {@code strip()}, on the prediction and the human answers;</li>
 *   <li>normalisation ({@link VqaNormalizer}) of BOTH sides only when the cleaned human answers are not all identical;</li>
 *   <li>leave-one-out: acc = mean over the human answers h_i of min(1, #{other answers == prediction}/3).</li>
 * </ol>
 * Inputs are never mutated (the official {@code evaluate()} rewrites its answers in place; evaluating twice there
 * changes results, here it does not).
 *
 * <p>{@link #leverPlus()} is Lever-Plus's variant (an OpenFlamingo port), which normalises both sides even when the
 * human answers agree; it is a compatibility switch, not the default.
 */
public final class VqaAccuracy {
    private static final VqaAccuracy OFFICIAL = new VqaAccuracy(false);
    private static final VqaAccuracy LEVER_PLUS = new VqaAccuracy(true);

    private final boolean alwaysNormalize;

    private VqaAccuracy(boolean alwaysNormalize) {
        this.alwaysNormalize = alwaysNormalize;
    }

    /** The official metric. */
    public static VqaAccuracy official() {
        return OFFICIAL;
    }

    /** Lever-Plus's variant: always normalises (e.g. "Yes" vs 10 × "yes" scores 1 here, 0 officially). */
    public static VqaAccuracy leverPlus() {
        return LEVER_PLUS;
    }

    /** Whether this instance normalises even when all human answers agree. */
    public boolean alwaysNormalizes() {
        return alwaysNormalize;
    }

    /** The official cleaning step: {@code \n} and {@code \t} become spaces, then Python {@code strip()}. */
    public static String clean(String s) {
        return PythonText.strip(s.replace('\n', ' ').replace('\t', ' '));
    }

    /**
     * Accuracy in [0, 1] of {@code prediction} against the human answers (usually 10).
     *
     * @throws IllegalArgumentException if there are no human answers or an answer is null
     */
    public double score(String prediction, List<String> humanAnswers) {
        if (prediction == null) throw new IllegalArgumentException("VQA accuracy: the prediction is null");
        if (humanAnswers == null || humanAnswers.isEmpty())
            throw new IllegalArgumentException("VQA accuracy: expected at least one human answer but found none");
        List<String> gts = new ArrayList<>(humanAnswers.size());
        for (int i = 0; i < humanAnswers.size(); i++) {
            String h = humanAnswers.get(i);
            if (h == null) throw new IllegalArgumentException("VQA accuracy: human answer " + i + " is null");
            gts.add(clean(h));
        }
        String pred = clean(prediction);
        if (alwaysNormalize || new HashSet<>(gts).size() > 1) {
            gts.replaceAll(VqaNormalizer::normalize);
            pred = VqaNormalizer.normalize(pred);
        }
        int total = 0;
        for (String g : gts) if (g.equals(pred)) total++;
        // Leave-one-out over each human answer; the official code sums the n values left to right, then divides.
        double sum = 0;
        for (String g : gts) {
            int others = total - (g.equals(pred) ? 1 : 0);
            sum += Math.min(1.0, others / 3.0);
        }
        return sum / gts.size();
    }

    /** Python's {@code round(x, 2)} on a double: the exact binary value rounded half-to-even, as a double. */
    public static double roundPython(double x, int digits) {
        if (Double.isNaN(x) || Double.isInfinite(x)) return x;
        return new BigDecimal(x).setScale(digits, RoundingMode.HALF_EVEN).doubleValue();
    }

    /** The official per-question report value {@code round(100·acc, 2)}. */
    public static double reportPercent(double acc) {
        return roundPython(100 * acc, 2);
    }
}
