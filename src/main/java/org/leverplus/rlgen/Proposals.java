package org.leverplus.rlgen;

import org.leverplus.selector.PointerSelector;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The proposal stage of RL data generation: runs the chosen proposers in the original's order (beam, sample,
 * retrieval, random) and deduplicates their sequences by unordered set with the original's priorities
 * (beam 4 > retrieval 3 > sample 2 > random 1; spec 8.2 step 5).
 */
public final class Proposals {
    /** The proposers, in the order they run. */
    public static final List<String> NAMES = List.of("beam", "sample", "retrieval", "random");

    /**
     * Per-proposer settings; defaults are the k64 generator's (spec 8.2).
     *
     * @param beamWidth          selector beams (5)
     * @param temperatures       sampling temperatures (1.0, 1.3)
     * @param samplesPerTemperature samples at each temperature (2)
     * @param retrieval          retrieval combinations (3)
     * @param random             random sets (2)
     */
    public record Settings(int beamWidth, List<Double> temperatures, int samplesPerTemperature, int retrieval, int random) {
        public static Settings defaults() {
            return new Settings(SelectorBeamProposer.DEFAULT_WIDTH, SelectorSamplingProposer.DEFAULT_TEMPERATURES,
                    SelectorSamplingProposer.DEFAULT_PER_TEMPERATURE, RetrievalProposer.DEFAULT_COMBINATIONS, RandomProposer.DEFAULT_COUNT);
        }
    }

    private final List<Proposer> proposers;

    public Proposals(List<Proposer> proposers) {
        this.proposers = List.copyOf(proposers);
    }

    /**
     * Builds the named proposers (a comma-separated subset of {@link #NAMES}, any order; they run in the canonical
     * order). {@code model} may be null when neither beam nor sample is chosen.
     */
    public static Proposals parse(String names, PointerSelector model, Settings s) {
        List<String> chosen = new ArrayList<>();
        for (String raw : names.split(",")) {
            String n = raw.trim();
            if (n.isEmpty()) continue;
            if (!NAMES.contains(n)) throw new IllegalArgumentException("unknown proposer '" + n + "' (known: " + String.join(", ", NAMES) + ")");
            if (!chosen.contains(n)) chosen.add(n);
        }
        if (chosen.isEmpty()) throw new IllegalArgumentException("--proposers: name at least one of " + String.join(", ", NAMES));
        List<Proposer> out = new ArrayList<>();
        for (String n : NAMES) {
            if (!chosen.contains(n)) continue;
            if ((n.equals("beam") || n.equals("sample")) && model == null)
                throw new IllegalArgumentException("proposer '" + n + "' needs a selector checkpoint");
            out.add(switch (n) {
                case "beam" -> new SelectorBeamProposer(model, s.beamWidth());
                case "sample" -> new SelectorSamplingProposer(model, s.temperatures(), s.samplesPerTemperature());
                case "retrieval" -> new RetrievalProposer(s.retrieval());
                default -> new RandomProposer(s.random());
            });
        }
        return new Proposals(out);
    }

    public List<Proposer> proposers() { return proposers; }

    /** Every proposer's sequences for one query, deduplicated. */
    public List<CandidateSequence> propose(ProposalContext ctx) {
        List<CandidateSequence> all = new ArrayList<>();
        for (Proposer p : proposers) all.addAll(p.propose(ctx));
        return dedup(all);
    }

    /**
     * Keeps one sequence per unordered set: the one with the highest priority (the first one among equals), at the
     * place where the set first appeared.
     */
    public static List<CandidateSequence> dedup(List<CandidateSequence> in) {
        Map<String, CandidateSequence> kept = new LinkedHashMap<>();
        for (CandidateSequence c : in) {
            String key = Arrays.toString(c.sortedKey());
            CandidateSequence old = kept.get(key);
            if (old == null || c.priority() > old.priority()) kept.put(key, c);
        }
        return new ArrayList<>(kept.values());
    }
}
