/**
 * RL data generation (spec 8.2-8.7): candidate ICD sequence proposers ({@link org.leverplus.rlgen.Proposer} and
 * its named implementations, deduplicated by {@link org.leverplus.rlgen.Proposals}), and the relevance fields of
 * a labelled candidate ({@link org.leverplus.rlgen.Relevance}, with CPython's {@code difflib.SequenceMatcher}
 * ratio reproduced exactly in {@link org.leverplus.rlgen.SequenceMatcher}).
 */
package org.leverplus.rlgen;
