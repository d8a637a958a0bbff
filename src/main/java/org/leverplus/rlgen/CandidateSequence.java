package org.leverplus.rlgen;

import java.util.Arrays;

/**
 * One proposed ICD sequence for a query, before labelling: pool positions in prompt order and how it was proposed.
 * The optional fields are written to the RL data file under the original's names ({@code beam_rank},
 * {@code beam_score}, {@code logprob_score}, {@code temperature}, {@code similarity_score}); null means absent.
 *
 * @param positions       positions in the query's candidate pool, in prompt order, all distinct
 * @param method          {@code gen_method}: beam, sample, retrieval or random
 * @param beamRank        rank among the selector's beams (0 = best), beam only
 * @param beamScore       sum of the step probabilities, beam only
 * @param logprobScore    sum of the step log-probabilities (at the sampling temperature for sample)
 * @param temperature     sampling temperature, sample only
 * @param similarityScore mean cosine similarity of the items to the query, retrieval only
 */
public record CandidateSequence(int[] positions, String method, Integer beamRank, Double beamScore,
                                Double logprobScore, Double temperature, Double similarityScore) {

    public CandidateSequence {
        positions = positions.clone();
        if (positions.length == 0) throw new IllegalArgumentException("a candidate sequence needs at least one item");
        if (Arrays.stream(positions).distinct().count() != positions.length)
            throw new IllegalArgumentException("a candidate sequence repeats an item: " + Arrays.toString(positions));
    }

    @Override public int[] positions() { return positions.clone(); }

    /** The unordered set of items, as sorted positions (the deduplication key). */
    public int[] sortedKey() {
        int[] k = positions.clone();
        Arrays.sort(k);
        return k;
    }

    /** Deduplication priority of the original: beam 4 > retrieval 3 > sample 2 > random 1 (others 0). */
    public int priority() {
        return switch (method) {
            case "beam" -> 4;
            case "retrieval" -> 3;
            case "sample" -> 2;
            case "random" -> 1;
            default -> 0;
        };
    }

    @Override public boolean equals(Object o) {
        return o instanceof CandidateSequence c && Arrays.equals(positions, c.positions) && method.equals(c.method)
                && java.util.Objects.equals(beamRank, c.beamRank) && java.util.Objects.equals(beamScore, c.beamScore)
                && java.util.Objects.equals(logprobScore, c.logprobScore) && java.util.Objects.equals(temperature, c.temperature)
                && java.util.Objects.equals(similarityScore, c.similarityScore);
    }

    @Override public int hashCode() { return Arrays.hashCode(positions) * 31 + method.hashCode(); }

    @Override public String toString() { return method + Arrays.toString(positions); }
}
