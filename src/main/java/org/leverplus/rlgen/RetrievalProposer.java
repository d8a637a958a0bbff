package org.leverplus.rlgen;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Retrieval by cosine similarity of the raw embeddings (spec 8.2, step 3), for any number of shots. Combination
 * r = 0 takes the most similar items; combination r > 0 takes, at each step, the (r mod n)-th (0-based) most similar
 * of the n remaining allowed items. Combinations equal as unordered sets to an earlier one are dropped.
 * {@code similarity_score} = mean similarity of the chosen items.
 */
public final class RetrievalProposer implements Proposer {
    public static final int DEFAULT_COMBINATIONS = 3;
    private final int combinations;

    public RetrievalProposer(int combinations) {
        if (combinations < 0) throw new IllegalArgumentException("retrieval combinations must be >= 0, got " + combinations);
        this.combinations = combinations;
    }

    @Override public String name() { return "retrieval"; }

    /** Cosine similarity in double precision (0 when either vector is zero). */
    static double cosine(float[] a, float[] b) {
        double dot = 0, na = 0, nb = 0;
        for (int i = 0; i < a.length; i++) { dot += (double) a[i] * b[i]; na += (double) a[i] * a[i]; nb += (double) b[i] * b[i]; }
        return na == 0 || nb == 0 ? 0 : dot / (Math.sqrt(na) * Math.sqrt(nb));
    }

    /** Allowed pool positions by descending similarity (ties: lower position first). */
    static Integer[] ranked(ProposalContext ctx, double[] sim) {
        List<Integer> order = new ArrayList<>();
        for (int j = 0; j < ctx.poolSize(); j++) if (!ctx.excluded()[j]) order.add(j);
        order.sort((a, b) -> sim[a] != sim[b] ? Double.compare(sim[b], sim[a]) : Integer.compare(a, b));
        return order.toArray(new Integer[0]);
    }

    @Override public List<CandidateSequence> propose(ProposalContext ctx) {
        double[] sim = new double[ctx.poolSize()];
        for (int j = 0; j < sim.length; j++) sim[j] = cosine(ctx.query(), ctx.pool()[j]);
        Integer[] order = ranked(ctx, sim);
        List<CandidateSequence> out = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (int r = 0; r < combinations; r++) {
            List<Integer> remaining = new ArrayList<>(Arrays.asList(order));
            int[] seq = new int[ctx.shots()];
            double mean = 0;
            for (int t = 0; t < seq.length; t++) {
                int pick = remaining.remove(r % remaining.size());
                seq[t] = pick;
                mean += sim[pick] / seq.length;
            }
            CandidateSequence c = new CandidateSequence(seq, name(), null, null, null, null, mean);
            if (seen.add(Arrays.toString(c.sortedKey()))) out.add(c);
        }
        return out;
    }
}
