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
        if (numBeams < 1 || numBeams > MAX_BEAMS) throw new IllegalArgumentException("--num-beams must be in [1, " + MAX_BEAMS + "], got " + numBeams);
        if (maxNewTokens < 1 || maxNewTokens > MAX_NEW_TOKENS)
            throw new IllegalArgumentException("--max-new-tokens must be in [1, " + MAX_NEW_TOKENS + "] (Qwen2.5-VL's context length), got " + maxNewTokens);
        eosIds = Set.copyOf(eosIds);
    }

    /** Bounds of the flags: beams multiply every step's work and memory; new tokens cannot exceed the context. */
    public static final int MAX_BEAMS = 64, MAX_NEW_TOKENS = 128_000;

    /** Lever-Plus' evaluation settings: 3 beams, 5 new tokens. */
    public static GenerationSettings leverPlus(Set<Integer> eosIds) { return new GenerationSettings(3, 5, eosIds); }

    public static GenerationSettings greedy(int maxNewTokens, Set<Integer> eosIds) { return new GenerationSettings(1, maxNewTokens, eosIds); }
}
