package org.leverplus.rlgen;

import java.util.Random;

/**
 * What a proposer sees for one query: its embedding, its candidate pool's embeddings, the pool positions that must
 * never be proposed (the query itself when it is in its own pool), the number of shots and the query's own random
 * stream (seeded from the run seed and the query key, so a query's proposals do not depend on which other queries
 * ran before it: resume and shards give the same proposals).
 *
 * @param query    [d]
 * @param pool     [K][d]
 * @param excluded [K], true where the position may not be proposed
 */
public record ProposalContext(float[] query, float[][] pool, boolean[] excluded, int shots, Random random) {

    public ProposalContext {
        if (pool.length == 0) throw new IllegalArgumentException("the candidate pool is empty");
        if (excluded.length != pool.length)
            throw new IllegalArgumentException("excluded has " + excluded.length + " entries for a pool of " + pool.length);
        for (float[] row : pool)
            if (row.length != query.length)
                throw new IllegalArgumentException("pool embeddings have " + row.length + " values, the query " + query.length);
        if (shots < 1 || shots > allowedCount(excluded))
            throw new IllegalArgumentException("shots must be in [1, " + allowedCount(excluded) + "] (the pool without excluded positions), got " + shots);
    }

    /** Pool size K. */
    public int poolSize() { return pool.length; }

    /** Number of positions that may be proposed. */
    public int allowed() { return allowedCount(excluded); }

    private static int allowedCount(boolean[] excluded) {
        int n = 0;
        for (boolean e : excluded) if (!e) n++;
        return n;
    }

    /** A per-query random stream: the run seed mixed with the query key (stable across runs, resumes and shards). */
    public static Random randomFor(long seed, String queryKey) {
        long h = 1125899906842597L;
        for (int i = 0; i < queryKey.length(); i++) h = 31 * h + queryKey.charAt(i);
        return new Random(seed * 0x9E3779B97F4A7C15L ^ h);
    }
}
