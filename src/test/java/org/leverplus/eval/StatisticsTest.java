package org.leverplus.eval;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The bootstrap and permutation statistics against closed forms and simulations (all seeded). */
class StatisticsTest {
    /** Per-question VQA accuracies take the values 0, 30, 60, 90, 100 (%); draw them with fixed probabilities. */
    static final double[] LEVELS = {0, 30, 60, 90, 100};
    static final double[] PROBS = {0.40, 0.10, 0.10, 0.10, 0.30};

    static double trueMean() {
        double m = 0;
        for (int i = 0; i < LEVELS.length; i++) m += LEVELS[i] * PROBS[i];
        return m;
    }

    static double[] sample(SplittableRandom r, int n, double shift) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            double u = r.nextDouble(), c = 0;
            int k = 0;
            while (k < LEVELS.length - 1 && u >= (c += PROBS[k])) k++;
            x[i] = Math.min(100, LEVELS[k] + shift);
        }
        return x;
    }

    @Test
    void ninetyFivePercentIntervalsCoverTheTrueMeanAboutNinetyFivePercentOfTheTime() {
        SplittableRandom r = new SplittableRandom(7);
        int datasets = 400, covered = 0;
        for (int d = 0; d < datasets; d++) {
            Statistics.Interval ci = Statistics.bootstrapCi(sample(r, 200, 0), 1000, 0.95, d);
            if (ci.lo() <= trueMean() && trueMean() <= ci.hi()) covered++;
        }
        double coverage = covered / (double) datasets;
        // binomial sd at 0.95 over 400 datasets is 1.1 points; the percentile bootstrap runs slightly narrow at n=200
        assertTrue(coverage > 0.91 && coverage < 0.985, "coverage " + coverage);
    }

    @Test
    void intervalWidthMatchesTheNormalApproximation() {
        double[] x = sample(new SplittableRandom(11), 800, 0);
        double m = Statistics.mean(x), v = 0;
        for (double a : x) v += (a - m) * (a - m);
        double se = Math.sqrt(v / x.length) / Math.sqrt(x.length);   // the bootstrap's plug-in standard error
        Statistics.Interval ci = Statistics.bootstrapCi(x, 20000, 0.95, 3);
        assertEquals(2 * 1.959964 * se, ci.hi() - ci.lo(), 0.06 * 2 * 1.96 * se);
        assertEquals(m, (ci.lo() + ci.hi()) / 2, 0.1 * se);
    }

    @Test
    void seededResultsAreReproducible() {
        double[] x = sample(new SplittableRandom(1), 100, 0), y = sample(new SplittableRandom(2), 100, 0);
        assertEquals(Statistics.bootstrapCi(x, 500, 0.95, 42), Statistics.bootstrapCi(x, 500, 0.95, 42));
        assertEquals(Statistics.paired(x, y, 500, 500, 0.95, 42), Statistics.paired(x, y, 500, 500, 0.95, 42));
    }

    @Test
    void pairedTestIsUniformUnderTheNullAndDetectsARealDifference() {
        SplittableRandom r = new SplittableRandom(5);
        int rejections = 0, runs = 200;
        for (int t = 0; t < runs; t++) {
            double[] a = sample(r, 150, 0), b = sample(r, 150, 0);
            if (Statistics.paired(a, b, 200, 500, 0.95, t).pValue() < 0.05) rejections++;
        }
        double rate = rejections / (double) runs;
        assertTrue(rate < 0.10, "false positive rate " + rate);

        // the same questions, the method answering 10 points better on every question that is not already at 100
        double[] ref = sample(new SplittableRandom(9), 400, 0);
        double[] better = ref.clone();
        for (int i = 0; i < better.length; i++) better[i] = Math.min(100, better[i] + 10);
        Statistics.Paired p = Statistics.paired(better, ref, 2000, 2000, 0.95, 1);
        assertTrue(p.pValue() < 0.01, "p " + p.pValue());
        assertTrue(p.lo() > 0 && p.meanDifference() > 0);
    }

    @Test
    void identicalMethodsHavePValueOne() {
        double[] a = sample(new SplittableRandom(3), 50, 0);
        Statistics.Paired p = Statistics.paired(a, a.clone(), 100, 100, 0.95, 0);
        assertEquals(1.0, p.pValue());
        assertEquals(0.0, p.meanDifference());
    }
}
