package org.leverplus.vlm.engine;

/**
 * Log-probabilities of an answer span.
 *
 * @param tokenLogprobs log p(token) per answer token
 * @param sum           their sum
 * @param mean          their mean (= minus the mean cross-entropy)
 */
public record AnswerScore(double[] tokenLogprobs, double sum, double mean) {
    public static AnswerScore of(double[] lp) {
        double s = 0;
        for (double v : lp) s += v;
        return new AnswerScore(lp.clone(), s, s / lp.length);
    }

    @Override public double[] tokenLogprobs() { return tokenLogprobs.clone(); }

    /** Lever-Plus' conditional probability {@code exp(-mean CE)} over the answer tokens. */
    public double probability() { return Math.exp(mean); }
}
