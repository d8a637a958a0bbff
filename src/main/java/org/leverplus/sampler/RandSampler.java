package org.leverplus.sampler;

/**
 * Lever-Plus's anchor set and {@code RandSampler} (spec 3.1, 3.3), reproducing CPython's {@code random} call for call:
 * <pre>
 *   anchors: random.seed(seed); random.sample(range(trainLen), anchorNum)
 *   pools:   random.seed(seed) again; per anchor, in anchor order:
 *            cand = random.sample(range(trainLen), k); while anchor in cand: cand = random.sample(...)
 * </pre>
 * Same seed, same train size, same output as the original (CPython goldens for OK-VQA and VQAv2 sizes in the tests).
 */
public final class RandSampler {
    private RandSampler() {}

    /** The anchor set: {@code anchorNum} distinct ids of [0, trainLen), in sampling order. */
    public static int[] anchors(int trainLen, int anchorNum, long seed) {
        if (anchorNum > trainLen)
            throw new IllegalArgumentException("anchors: cannot sample " + anchorNum + " anchors from " + trainLen + " training items");
        return new CPythonRandom(seed).sample(trainLen, anchorNum);
    }

    /** Result of {@link #pools}: the pools and how many draws were rejected because they held their anchor. */
    public record Result(int[][] pools, long redraws) {}

    /** One pool of k random ids per anchor, none holding its own anchor (the original's redraw rule). */
    public static Result pools(int[] anchors, int trainLen, int k, long seed) {
        if (k >= trainLen)
            throw new IllegalArgumentException("rand pools: " + k + " candidates need more than " + k + " training items (an anchor is never its own candidate) but there are " + trainLen);
        CPythonRandom rnd = new CPythonRandom(seed);
        int[][] pools = new int[anchors.length][];
        long redraws = 0;
        for (int i = 0; i < anchors.length; i++) {
            int a = anchors[i];
            int[] cand = rnd.sample(trainLen, k);
            while (contains(cand, a)) {
                redraws++;
                cand = rnd.sample(trainLen, k);
            }
            pools[i] = cand;
        }
        return new Result(pools, redraws);
    }

    static boolean contains(int[] v, int x) {
        for (int y : v) if (y == x) return true;
        return false;
    }
}
