package org.leverplus.rlgen;

import java.util.List;

/** A named way of proposing candidate ICD sequences for one query (spec 8.2). */
public interface Proposer {
    /** The name {@code --proposers} uses and the {@code gen_method} it writes. */
    String name();

    /** Proposals for one query, in the proposer's own order (duplicates allowed; {@link Proposals#dedup} removes them). */
    List<CandidateSequence> propose(ProposalContext ctx);
}
