package org.leverplus.vlm.engine;

import java.util.Set;

/**
 * Decoding settings. Lever-Plus evaluates with {@code num_beams=3, max_new_tokens=5, length_penalty=0}, deterministic;
 * with length_penalty 0 a hypothesis' score is its summed log-probability.
 *
 * @param numBeams     1 = greedy
 * @param maxNewTokens tokens generated at most
 * @param eosIds       ids that end a sequence (included in the output, as HF does)
 */
public record GenerationSettings(int numBeams, int maxNewTokens, Set<Integer> eosIds) {
    public GenerationSettings {
        if (numBeams < 1 || maxNewTokens < 1) throw new IllegalArgumentException("numBeams and maxNewTokens must be >= 1, got " + numBeams + ", " + maxNewTokens);
        eosIds = Set.copyOf(eosIds);
    }

    /** Lever-Plus' evaluation settings: 3 beams, 5 new tokens. */
    public static GenerationSettings leverPlus(Set<Integer> eosIds) { return new GenerationSettings(3, 5, eosIds); }

    public static GenerationSettings greedy(int maxNewTokens, Set<Integer> eosIds) { return new GenerationSettings(1, maxNewTokens, eosIds); }
}
