package org.leverplus.reward;

import org.leverplus.data.EvalMode;
import org.leverplus.data.RlCandidate;
import org.leverplus.data.RlData;
import org.leverplus.data.RlQuery;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * Builds training groups from RL data as Lever-Plus does (spec section 9.2):
 * <ol>
 *   <li>drop candidates with {@code eval_failed}, with {@code vqa_eval_mode == "error"} (always), with
 *       {@code "fallback"} when {@code skipFallback} (default), and with a {@code gen_method} outside the filter;</li>
 *   <li>compute each reward ({@link CandidateReward}); drop a query with no candidate left, and with
 *       {@code requirePositiveQuery} a query without any reward ≥ 1.0;</li>
 *   <li>pool = {@link RlQuery#trainingPool()}, labels = positions in it; normalise the group's rewards.</li>
 * </ol>
 * Candidates of unknown provenance (no {@code vqa_eval_mode}) are kept, as in the original.
 */
public final class RewardGroups {
    private RewardGroups() {
    }

    /** Whether a candidate takes part in training under {@code cfg}. */
    public static boolean keeps(RlCandidate c, RewardConfig cfg) {
        if (c.evalFailed()) return false;
        EvalMode m = c.evalMode();
        if (m == EvalMode.ERROR) return false;
        if (m == EvalMode.FALLBACK && cfg.skipFallback()) return false;
        return cfg.genMethods().isEmpty() || (c.genMethod() != null && cfg.genMethods().contains(c.genMethod()));
    }

    /** The group of one query, or empty when the query is dropped. */
    public static Optional<RewardGroup> build(RlQuery q, RewardConfig cfg) {
        List<RlCandidate> kept = new ArrayList<>();
        for (RlCandidate c : q.candidates()) if (keeps(c, cfg)) kept.add(c);
        if (kept.isEmpty()) return Optional.empty();
        double[] raw = new double[kept.size()];
        boolean anyPositive = false;
        for (int i = 0; i < raw.length; i++) {
            checkUsable(q, kept.get(i));
            raw[i] = CandidateReward.compute(kept.get(i), cfg);
            if (!Double.isFinite(raw[i]))
                throw new IllegalArgumentException("query \"" + q.key() + "\": candidate " + java.util.Arrays.toString(kept.get(i).globalPointer())
                        + ": its reward is " + raw[i] + " (a score field is not a finite number)");
            if (raw[i] >= 1.0) anyPositive = true;
        }
        if (cfg.requirePositiveQuery() && !anyPositive) return Optional.empty();
        // The pool is derived from the FILTERED query, as the original builds it after filtering.
        RlQuery filtered = kept.size() == q.candidates().size() ? q : q.withCandidates(kept, null);
        int[] pool = filtered.trainingPool();
        int[][] labels = new int[kept.size()][];
        for (int i = 0; i < labels.length; i++) labels[i] = filtered.localLabels(kept.get(i), pool);
        double[] norm = GroupNormalization.apply(raw, cfg.normalizeMethod(), cfg.normalizeClamp());
        double[] rce = cfg.rceUseRawReward() ? raw.clone() : norm.clone();
        return Optional.of(new RewardGroup(q.key(), q.index(), pool, labels, raw, norm, rce, List.copyOf(kept)));
    }

    /**
     * What training and scoring cannot use and must not silently change: a sequence that repeats an ICD (the pointer
     * network picks distinct positions), and a score that is not a finite number or outside its range. The data tools
     * keep such records as they are (lossless); {@code lever data validate} reports them.
     */
    static void checkUsable(RlQuery q, RlCandidate c) {
        int[] g = c.globalPointer();
        for (int i = 0; i < g.length; i++)
            for (int j = 0; j < i; j++)
                if (g[i] == g[j])
                    throw new IllegalArgumentException("query \"" + q.key() + "\": candidate " + java.util.Arrays.toString(g)
                            + " repeats ICD " + g[i] + " (a sequence must hold distinct ICDs)");
        Double acc = c.vqaAccScore();
        if (acc != null && !(acc >= 0 && acc <= 1))
            throw new IllegalArgumentException("query \"" + q.key() + "\": candidate " + java.util.Arrays.toString(g)
                    + ": vqa_acc_score must be a number in [0, 1] but is " + acc);
        for (Double v : new Double[]{c.vqaGtProb(), c.vqaRelScore()})
            if (v != null && !Double.isFinite(v))
                throw new IllegalArgumentException("query \"" + q.key() + "\": candidate " + java.util.Arrays.toString(g)
                        + ": a score (vqa_gt_prob or vqa_rel_score) is " + v);
    }

    /** The groups of a whole file, in file order (dropped queries left out). */
    public static List<RewardGroup> buildAll(RlData data, RewardConfig cfg) {
        List<RewardGroup> out = new ArrayList<>();
        for (RlQuery q : data.queries()) build(q, cfg).ifPresent(out::add);
        return out;
    }
}
