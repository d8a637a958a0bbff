package org.leverplus.vlm.engine;

/**
 * Generated token ids (ending with the eos id if one was produced) and the sequence score (sum of log-probs).
 */
public record Generation(int[] tokens, double score) {
    public Generation {
        tokens = tokens.clone();
    }

    @Override public int[] tokens() { return tokens.clone(); }
}
