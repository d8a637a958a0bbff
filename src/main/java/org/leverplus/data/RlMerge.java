package org.leverplus.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * {@code lever data merge}: concatenates RL data files (rounds, shards) into one. A query key present in two inputs is
 * an error unless a policy is given: {@code keep-first} keeps the earliest file's group, {@code keep-last} the
 * latest's. Output order: input files in order, each in its own order. {@code _meta} records the sources, the policy,
 * the duplicates and the totals, and keeps every source's own {@code _meta} under {@code source_meta}.
 * Two streaming passes (keys, then groups): memory holds only the keys.
 */
public final class RlMerge {
    /** What to do with a query key found in more than one input. */
    public enum OnDuplicate {
        ERROR, KEEP_FIRST, KEEP_LAST;

        public static OnDuplicate parse(String s) {
            return switch (s) {
                case "error" -> ERROR;
                case "keep-first" -> KEEP_FIRST;
                case "keep-last" -> KEEP_LAST;
                default -> throw new IllegalArgumentException("--on-duplicate: expected keep-first or keep-last but found \"" + s + "\"");
            };
        }

        String externalName() {
            return name().toLowerCase(java.util.Locale.ROOT).replace('_', '-');
        }
    }

    /** Totals of a merge. */
    public record Report(long queries, long candidates, long positives, long duplicateKeys) {
        public double positiveRatio() {
            return candidates == 0 ? 0 : (double) positives / candidates;
        }
    }

    private RlMerge() {
    }

    public static Report run(List<Path> inputs, Path out, OnDuplicate policy, boolean overwrite) throws IOException {
        if (inputs.isEmpty()) throw new IllegalArgumentException("merge: expected at least one input file");
        // Pass 1: which file wins each key.
        Map<String, Integer> winner = new HashMap<>();
        long duplicates = 0;
        for (int f = 0; f < inputs.size(); f++) {
            int file = f;
            Path p = inputs.get(f);
            Set<String> keys = new HashSet<>();
            RlDataReader.stream(p, q -> keys.add(q.key()));
            for (String k : keys) {
                Integer prev = winner.get(k);
                if (prev == null) {
                    winner.put(k, file);
                    continue;
                }
                duplicates++;
                switch (policy) {
                    case ERROR -> throw new RlDataFormatException(p.toString(), k, null, "duplicated query key, also in "
                            + inputs.get(prev) + " (pass --on-duplicate keep-first or keep-last)");
                    case KEEP_FIRST -> { }
                    case KEEP_LAST -> winner.put(k, file);
                }
            }
        }
        // Pass 2: write the winners.
        long[] tot = new long[3];
        ObjectNode sourceMeta = JsonNodeFactory.instance.objectNode();
        Set<String> extraKeys = new HashSet<>();
        ArrayNode droppedExtras = JsonNodeFactory.instance.arrayNode();
        try (RlDataWriter w = RlDataWriter.open(out, overwrite)) {
            for (int f = 0; f < inputs.size(); f++) {
                int file = f;
                Path p = inputs.get(f);
                sourceMeta.putNull(p.toString());
                try {
                    RlDataReader.stream(p, new RlDataReader.Visitor() {
                        @Override public void meta(ObjectNode m) {
                            sourceMeta.set(p.toString(), m);
                        }

                        @Override public void extra(String key, JsonNode value) {
                            if (extraKeys.add(key)) RlFilter.write(() -> w.entry(key, value));
                            else droppedExtras.addObject().put("file", p.toString()).put("key", key).set("value", value);
                        }

                        @Override public void query(RlQuery q) {
                            if (winner.get(q.key()) != file) return;
                            tot[0]++;
                            tot[1] += q.candidates().size();
                            tot[2] += q.positiveCount();
                            RlFilter.write(() -> w.query(q));
                        }
                    });
                } catch (UncheckedIOException e) {
                    throw e.getCause();
                }
            }
            Report r = new Report(tot[0], tot[1], tot[2], duplicates);
            ObjectNode s = JsonNodeFactory.instance.objectNode();
            s.put("merged_at", MetaHistory.now());
            ArrayNode src = s.putArray("source_files");
            for (Path p : inputs) src.add(p.toString());
            s.put("num_source_files", inputs.size());
            s.put("on_duplicate", policy.externalName());
            s.put("duplicate_keys", duplicates);
            s.put("total_queries", r.queries());
            s.put("total_candidates", r.candidates());
            s.put("positive_ratio", r.positiveRatio());
            ObjectNode meta = MetaHistory.record(null, "merge", s);
            meta.set("source_meta", sourceMeta);
            if (!droppedExtras.isEmpty()) meta.set("duplicate_extra_entries", droppedExtras);
            w.meta(meta);
            w.commit();
            return r;
        }
    }
}
