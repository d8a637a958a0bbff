package org.leverplus.rlgen;

import java.util.ArrayList;
import java.util.List;

/** Uniformly random sets of distinct allowed positions (spec 8.2, step 4), from the query's own random stream. */
public final class RandomProposer implements Proposer {
    public static final int DEFAULT_COUNT = 2;
    private final int count;

    public RandomProposer(int count) {
        if (count < 0) throw new IllegalArgumentException("random proposals must be >= 0, got " + count);
        this.count = count;
    }

    @Override public String name() { return "random"; }

    @Override public List<CandidateSequence> propose(ProposalContext ctx) {
        List<Integer> allowed = new ArrayList<>();
        for (int j = 0; j < ctx.poolSize(); j++) if (!ctx.excluded()[j]) allowed.add(j);
        List<CandidateSequence> out = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            List<Integer> left = new ArrayList<>(allowed);
            int[] seq = new int[ctx.shots()];
            for (int t = 0; t < seq.length; t++) seq[t] = left.remove(ctx.random().nextInt(left.size()));
            out.add(new CandidateSequence(seq, name(), null, null, null, null, null));
        }
        return out;
    }
}
