package org.leverplus.data;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Path;

/**
 * The balanced-data filter ({@code lever data filter}, spec section 8.7): keep a query iff it has at least one
 * candidate, its positive ratio lies in {@code [minPosRatio, maxPosRatio]}, and, with {@code mixedOnly}, it has both
 * positive and negative candidates. Lever-Plus's VQAv2 setting is 0.4 / 0.6 / mixed; its OK-VQA
 * {@code filter_balanced_queries.py} is {@code --mixed-only} alone. Streams: bounded memory.
 */
public final class RlFilter {
    /** Filter parameters. */
    public record Params(double minPosRatio, double maxPosRatio, boolean mixedOnly) {
        public Params {
            if (!(minPosRatio >= 0 && maxPosRatio <= 1 && minPosRatio <= maxPosRatio))
                throw new IllegalArgumentException("filter: expected 0 <= --min-pos-ratio <= --max-pos-ratio <= 1 but found "
                        + minPosRatio + " and " + maxPosRatio);
        }

        public static Params defaults() {
            return new Params(0.0, 1.0, false);
        }
    }

    /** What the filter did. */
    public record Report(long originalQueries, long keptQueries, long removedAllPositive, long removedAllNegative,
                         long removedEmpty, long removedOutOfRange, long keptCandidates) {
    }

    private RlFilter() {
    }

    /** Whether {@code q} passes; the reason for a removal is the first failing rule. */
    public static boolean keeps(RlQuery q, Params p) {
        int n = q.candidates().size();
        if (n == 0) return false;
        int pos = q.positiveCount();
        if (p.mixedOnly() && (pos == 0 || pos == n)) return false;
        double ratio = (double) pos / n;
        return ratio >= p.minPosRatio() && ratio <= p.maxPosRatio();
    }

    /** Filters {@code in} into {@code out} (atomically) and records the step in {@code _meta}. */
    public static Report run(Path in, Path out, Params p, boolean overwrite) throws IOException {
        long[] c = new long[7];
        ObjectNode[] meta = {null};
        try (RlDataWriter w = RlDataWriter.open(out, overwrite)) {
            try {
            RlDataReader.stream(in, new RlDataReader.Visitor() {
                @Override public void meta(ObjectNode m) {
                    meta[0] = m;
                }

                @Override public void extra(String key, com.fasterxml.jackson.databind.JsonNode value) {
                    write(() -> w.entry(key, value));
                }

                @Override public void query(RlQuery q) {
                    c[0]++;
                    if (keeps(q, p)) {
                        c[1]++;
                        c[6] += q.candidates().size();
                        write(() -> w.query(q));
                        return;
                    }
                    int n = q.candidates().size(), pos = q.positiveCount();
                    if (n == 0) c[4]++;
                    else if (pos == n) c[2]++;
                    else if (pos == 0) c[3]++;
                    else c[5]++;
                }
            });
            } catch (java.io.UncheckedIOException e) {
                throw e.getCause();
            }
            Report r = new Report(c[0], c[1], c[2], c[3], c[4], c[5], c[6]);
            ObjectNode s = JsonNodeFactory.instance.objectNode();
            s.put("filtered_at", MetaHistory.now());
            ObjectNode fp = s.putObject("filter_params");
            fp.put("min_pos_ratio", p.minPosRatio());
            fp.put("max_pos_ratio", p.maxPosRatio());
            fp.put("mixed_only", p.mixedOnly());
            s.put("source_file", in.toString());
            s.put("original_query_count", r.originalQueries());
            s.put("filtered_query_count", r.keptQueries());
            s.put("removed_all_positive", r.removedAllPositive());
            s.put("removed_all_negative", r.removedAllNegative());
            s.put("removed_empty", r.removedEmpty());
            s.put("removed_out_of_range", r.removedOutOfRange());
            w.meta(MetaHistory.record(meta[0], "filter", s));
            w.commit();
            return r;
        }
    }

    interface IoAction {
        void run() throws IOException;
    }

    static void write(IoAction a) {
        try {
            a.run();
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
