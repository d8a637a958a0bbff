package org.leverplus.eval;

import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Seeded resampling statistics over per-question accuracies (in percent, as the official metric reports them).
 * <ul>
 *   <li>{@link #bootstrapCi}: percentile bootstrap interval of the mean (resample questions with replacement).</li>
 *   <li>{@link #paired}: a method against a reference on the same questions: the mean difference, its paired
 *   percentile bootstrap interval, and a two-sided paired permutation (sign-flip) test p-value,
 *   {@code (1 + #{|mean(s·d)| >= |mean(d)|}) / (1 + R)}.</li>
 * </ul>
 * Every call draws from its own {@link SplittableRandom} made from the seed, so results depend only on the inputs.
 */
public final class Statistics {
    /** A mean and its two-sided confidence interval. */
    public record Interval(double mean, double lo, double hi, double level, int resamples) {}

    /** A paired comparison of a method with a reference (difference = method − reference). */
    public record Paired(double meanDifference, double lo, double hi, double pValue, int resamples, int permutations, int questions) {}

    private Statistics() {}

    public static double mean(double[] x) {
        double s = 0;
        for (double v : x) s += v;
        return s / x.length;
    }

    /** Percentile bootstrap interval of the mean at {@code level} (e.g. 0.95) from {@code resamples} resamples. */
    public static Interval bootstrapCi(double[] x, int resamples, double level, long seed) {
        check(x, resamples, level);
        SplittableRandom rnd = new SplittableRandom(seed);
        int n = x.length;
        double[] means = new double[resamples];
        for (int b = 0; b < resamples; b++) {
            double s = 0;
            for (int i = 0; i < n; i++) s += x[rnd.nextInt(n)];
            means[b] = s / n;
        }
        return new Interval(mean(x), quantile(means, (1 - level) / 2), quantile(means, 1 - (1 - level) / 2), level, resamples);
    }

    /**
     * Paired comparison of {@code method} and {@code reference} (same questions, same order): bootstrap interval of the
     * mean difference and a sign-flip permutation p-value.
     */
    public static Paired paired(double[] method, double[] reference, int resamples, int permutations, double level, long seed) {
        if (method.length != reference.length)
            throw new IllegalArgumentException("paired: expected the same questions but found " + method.length + " vs " + reference.length + " values");
        double[] d = new double[method.length];
        for (int i = 0; i < d.length; i++) d[i] = method[i] - reference[i];
        Interval ci = bootstrapCi(d, resamples, level, seed);
        if (permutations < 1) throw new IllegalArgumentException("permutations must be >= 1, got " + permutations);
        SplittableRandom rnd = new SplittableRandom(seed ^ 0x9E3779B97F4A7C15L);
        double obs = Math.abs(ci.mean()) * d.length;
        double eps = 1e-9 * Math.max(1, obs);   // equal sums up to rounding count as "at least as extreme"
        int extreme = 0;
        for (int r = 0; r < permutations; r++) {
            double s = 0;
            for (double v : d) s += rnd.nextBoolean() ? v : -v;
            if (Math.abs(s) >= obs - eps) extreme++;
        }
        return new Paired(ci.mean(), ci.lo(), ci.hi(), (1.0 + extreme) / (1.0 + permutations), resamples, permutations, d.length);
    }

    /** Linear-interpolation quantile (NumPy's default) of {@code x}, which is sorted in place. */
    static double quantile(double[] x, double q) {
        Arrays.sort(x);
        double pos = q * (x.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(lo + 1, x.length - 1);
        return x[lo] + (pos - lo) * (x[hi] - x[lo]);
    }

    private static void check(double[] x, int resamples, double level) {
        if (x.length == 0) throw new IllegalArgumentException("bootstrap: no values");
        if (resamples < 1) throw new IllegalArgumentException("resamples must be >= 1, got " + resamples);
        if (!(level > 0 && level < 1)) throw new IllegalArgumentException("confidence level must be in (0, 1), got " + level);
    }
}
