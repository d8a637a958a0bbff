package org.leverplus.eval;

/**
 * The original's random baseline ({@code open_mmicl} {@code RandRetriever(seed=42)}, spec 12.4): before each shot
 * count {@code np.random.seed(seed)}, then per test question, in order, {@code np.random.choice(nTrain, k,
 * replace=False)}; the ids are used in the order drawn. Bit-identical to NumPy ({@link NumpyRandomState}).
 */
public final class RandomRetriever {
    private final int nTrain;
    private final long seed;

    public RandomRetriever(int nTrain, long seed) {
        if (nTrain < 1) throw new IllegalArgumentException("random retriever: the training split is empty");
        this.nTrain = nTrain;
        this.seed = seed;
    }

    /** ICD global ids [questions][shots] for the first {@code questions} test questions. */
    public int[][] retrieve(int shots, int questions) {
        if (shots > nTrain) throw new IllegalArgumentException("random retriever: " + shots + " shots from " + nTrain + " training items");
        NumpyRandomState rs = new NumpyRandomState(seed);
        int[][] out = new int[questions][];
        for (int q = 0; q < questions; q++) out[q] = rs.choiceWithoutReplacement(nTrain, shots);
        return out;
    }
}
