package org.leverplus.rlgen;

import org.leverplus.data.Embeddings;
import org.leverplus.sampler.CPythonRandom;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The candidate pairs of Lever-Plus's VQAv2 balanced generation ({@code generate_balanced_rl_data.py}, spec 8.7(b)),
 * with the same draws from Python's {@code random} for the same seed:
 * <ol>
 * <li>cosine similarity of the query to every item (the query itself set to -1), items sorted by descending
 *     similarity; <b>ties: the lower id first</b> (Python's stable {@code sorted(..., reverse=True)}; the original's
 *     {@code torch.argsort} leaves the order of ties unspecified). Similarities are computed in double precision
 *     (sum of products in index order, then {@code dot / (sqrt(|q|^2) * sqrt(|c|^2))}; a zero vector has similarity 0);</li>
 * <li>{@code size = N // intervals}; interval i = sorted[i*size, min((i+1)*size, N)) (the last {@code N % intervals}
 *     items are never drawn, as in the original); from an interval with at least 2 items,
 *     {@code random.sample(interval, min(perInterval, len))};</li>
 * <li>{@code random.shuffle} of all drawn ids, then consecutive ids paired, each pair sorted ascending, at most
 *     {@code maxPairs} pairs (the original's {@code eval_per_query}).</li>
 * </ol>
 * One stream for the whole run: {@code random.seed(seed)} before the first query and again every
 * {@code reseedEvery} queries (0 = never), so the original's 1000-query shard processes are reproduced by one run
 * with {@code reseedEvery = 1000}. The draws depend only on N and the settings, never on the similarities, so
 * {@link #skip()} advances the stream past a query without sorting (resume).
 */
public final class BalancedPairs {
    /**
     * @param intervals   similarity intervals (10)
     * @param perInterval ids drawn per interval (4)
     * @param maxPairs    pairs per query at most ({@code eval_per_query}, 20)
     * @param seed        {@code random.seed} value (42)
     * @param reseedEvery re-seed every this many queries of the run (0 = only once, at the first query)
     */
    public record Settings(int intervals, int perInterval, int maxPairs, long seed, int reseedEvery) {
        public Settings {
            if (intervals < 1) throw new IllegalArgumentException("--intervals must be >= 1, got " + intervals);
            if (perInterval < 1) throw new IllegalArgumentException("--per-interval must be >= 1, got " + perInterval);
            if (maxPairs < 1) throw new IllegalArgumentException("--max-pairs must be >= 1, got " + maxPairs);
            if (reseedEvery < 0) throw new IllegalArgumentException("--reseed-every must be >= 0, got " + reseedEvery);
        }

        public static Settings defaults() { return new Settings(10, 4, 20, 42, 0); }
    }

    private final Settings s;
    private final int n;
    private final CPythonRandom random;
    private long position;

    /** A stream for a dataset of {@code n} items, positioned before the run's first query. */
    public BalancedPairs(Settings s, int n) {
        this.s = s;
        this.n = n;
        this.random = new CPythonRandom(s.seed());
    }

    /** Cosine similarity of row {@code q} to every row, the query itself set to -1 (double precision). */
    public static double[] similarities(Embeddings e, int q) {
        float[] qv = e.row(q);
        double[] sim = new double[e.rows()];
        for (int i = 0; i < sim.length; i++) sim[i] = RetrievalProposer.cosine(qv, e.row(i));
        sim[q] = -1.0;
        return sim;
    }

    /** Ids by descending similarity, ties by ascending id. */
    public static int[] ranked(double[] sim) {
        Integer[] order = new Integer[sim.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> sim[a] != sim[b] ? Double.compare(sim[b], sim[a]) : Integer.compare(a, b));
        int[] out = new int[order.length];
        for (int i = 0; i < out.length; i++) out[i] = order[i];
        return out;
    }

    private void reseedIfDue() {
        if (position == 0 || (s.reseedEvery() > 0 && position % s.reseedEvery() == 0)) random.seed(s.seed());
        position++;
    }

    /** The next query's pairs (sorted ascending), from its similarity ranking of all {@code n} items. */
    public List<int[]> next(int[] ranked) {
        if (ranked.length != n) throw new IllegalArgumentException("ranking of " + ranked.length + " items for a dataset of " + n);
        reseedIfDue();
        return draw(ranked);
    }

    /** Advances the stream past one query exactly as {@link #next} would (the draws do not depend on the ranking). */
    public void skip() {
        reseedIfDue();
        draw(null);
    }

    private List<int[]> draw(int[] ranked) {
        int size = n / s.intervals();
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < s.intervals(); i++) {
            int start = i * size, end = Math.min((i + 1) * size, n);
            int len = end - start;
            if (len < 2) continue;
            int[] picks = random.sample(len, Math.min(s.perInterval(), len));
            for (int p : picks) ids.add(ranked == null ? -1 : ranked[start + p]);
        }
        for (int i = ids.size() - 1; i > 0; i--) {                 // random.shuffle
            int j = random.randbelow(i + 1);
            Integer t = ids.get(i);
            ids.set(i, ids.get(j));
            ids.set(j, t);
        }
        List<int[]> pairs = new ArrayList<>();
        for (int i = 0; i + 1 < ids.size() && pairs.size() < s.maxPairs(); i += 2) {
            int a = ids.get(i), b = ids.get(i + 1);
            pairs.add(new int[]{Math.min(a, b), Math.max(a, b)});
        }
        return pairs;
    }

    /**
     * The keep rule of the balanced generation: both classes present and {@code min <= pos / n <= max} (the ratio as
     * a double, as Python computes it). Returns null when kept, else the reason: "no-candidates", "all-positive",
     * "all-negative" or "pos-ratio-out-of-band".
     */
    public static String dropReason(int positives, int total, double minRatio, double maxRatio) {
        if (total == 0) return "no-candidates";
        if (positives == total) return "all-positive";
        if (positives == 0) return "all-negative";
        double r = (double) positives / total;
        return r >= minRatio && r <= maxRatio ? null : "pos-ratio-out-of-band";
    }
}
