package org.leverplus.data;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Statistics of an RL data file ({@code lever data stats}), accumulated one query at a time, so a file of any size
 * is summarised in bounded memory. A candidate is positive when {@code vqa_correct == 1}, or {@code vqa_acc_score > 0}
 * where {@code vqa_correct} is absent.
 */
public final class RlStats implements RlDataReader.Visitor {
    // Counters below are updated only through add(QueryTally), by both the tree visitor and the token scanner.
    private long queries, candidates, positives, emptyQueries;
    private long allPositive, allNegative, mixed, localQueries;
    private int minPerQuery = Integer.MAX_VALUE, maxPerQuery;
    private boolean hasMeta;
    private final Map<EvalMode, Long> modes = new EnumMap<>(EvalMode.class);
    private final TreeMap<Double, Long> levels = new TreeMap<>();
    private long missingAcc;

    /** Scans {@code file} (token level, no JSON trees: see {@link RlStatsScanner}) and returns its statistics. */
    public static RlStats of(Path file) throws IOException {
        RlStats s = new RlStats();
        RlStatsScanner.scan(file, s);
        return s;
    }

    /** Per-query counters, reused across queries by the scanner. */
    static final class QueryTally {
        int n, pos;
        boolean firstLocal;
        final long[] modes = new long[EvalMode.values().length];
        final java.util.List<Double> accs = new java.util.ArrayList<>();
        int missingAcc;

        void reset() {
            n = 0;
            pos = 0;
            firstLocal = false;
            java.util.Arrays.fill(modes, 0);
            accs.clear();
            missingAcc = 0;
        }

        void candidate(Integer hard, Double acc, EvalMode mode, boolean local) {
            if (n == 0) firstLocal = local;
            n++;
            boolean positive = hard != null ? hard == 1 : acc != null && acc > 0;
            if (positive) pos++;
            modes[mode.ordinal()]++;
            if (acc == null) missingAcc++;
            else accs.add(acc);
        }
    }

    void sawMeta() {
        hasMeta = true;
    }

    /** Adds one scanned query. */
    void add(QueryTally t) {
        queries++;
        candidates += t.n;
        minPerQuery = Math.min(minPerQuery, t.n);
        maxPerQuery = Math.max(maxPerQuery, t.n);
        if (t.firstLocal) localQueries++;
        for (EvalMode m : EvalMode.values()) if (t.modes[m.ordinal()] > 0) modes.merge(m, t.modes[m.ordinal()], Long::sum);
        for (double a : t.accs) levels.merge(level(a), 1L, Long::sum);
        missingAcc += t.missingAcc;
        positives += t.pos;
        if (t.n == 0) emptyQueries++;
        else if (t.pos == t.n) allPositive++;
        else if (t.pos == 0) allNegative++;
        else mixed++;
    }

    /** Statistics of an in-memory file. */
    public static RlStats of(RlData data) {
        RlStats s = new RlStats();
        if (data.meta() != null) s.meta(data.meta());
        for (RlQuery q : data.queries()) s.query(q);
        return s;
    }

    @Override public void meta(ObjectNode meta) {
        hasMeta = true;
    }

    @Override public void query(RlQuery q) {
        QueryTally t = new QueryTally();
        for (RlCandidate c : q.candidates()) t.candidate(c.vqaCorrect(), c.vqaAccScore(), c.evalMode(), c.isLocal());
        add(t);
    }

    /** Accuracy values are grouped after rounding to 6 decimals (0.6000000000000001 and 0.6 are one level). */
    static double level(double acc) {
        if (!Double.isFinite(acc)) return acc; // NaN / Infinity are their own levels, never rounded into 0.0
        return Math.round(acc * 1e6) / 1e6;
    }

    public long queries() {
        return queries;
    }

    public long candidates() {
        return candidates;
    }

    public double positiveRatio() {
        return ratio(positives, candidates);
    }

    private static double ratio(long a, long b) {
        return b == 0 ? 0.0 : (double) a / b;
    }

    private long mode(EvalMode m) {
        return modes.getOrDefault(m, 0L);
    }

    /** The statistics as JSON (the {@code --json} output). */
    public ObjectNode toJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("queries", queries);
        o.put("candidates", candidates);
        o.put("positive_candidates", positives);
        o.put("positive_ratio", positiveRatio());
        o.put("fallback_ratio", ratio(mode(EvalMode.FALLBACK), candidates));
        o.put("error_ratio", ratio(mode(EvalMode.ERROR), candidates));
        ObjectNode m = o.putObject("eval_modes");
        for (EvalMode e : EvalMode.values()) m.put(e.name().toLowerCase(java.util.Locale.ROOT), mode(e));
        o.put("all_positive_queries", allPositive);
        o.put("all_negative_queries", allNegative);
        o.put("mixed_queries", mixed);
        o.put("empty_queries", emptyQueries);
        ObjectNode per = o.putObject("candidates_per_query");
        per.put("min", queries == 0 ? 0 : minPerQuery);
        per.put("mean", ratio(candidates, queries));
        per.put("max", maxPerQuery);
        ObjectNode lv = o.putObject("reward_levels");
        for (Map.Entry<Double, Long> e : levels.entrySet()) lv.put(Double.toString(e.getKey()), e.getValue());
        if (missingAcc > 0) lv.put("missing", missingAcc);
        o.put("local_pointer_queries", localQueries);
        o.put("has_meta", hasMeta);
        return o;
    }

    /** The statistics as an aligned two-column table (the default output). */
    public String toTable() {
        StringBuilder sb = new StringBuilder();
        row(sb, "queries", Long.toString(queries));
        row(sb, "candidates", Long.toString(candidates));
        row(sb, "positive_ratio", pct(positives, candidates) + "  (" + positives + " candidates)");
        row(sb, "fallback_ratio", pct(mode(EvalMode.FALLBACK), candidates));
        row(sb, "error_ratio", pct(mode(EvalMode.ERROR), candidates));
        StringBuilder modesText = new StringBuilder();
        for (EvalMode e : EvalMode.values())
            if (mode(e) > 0) modesText.append(modesText.length() == 0 ? "" : ", ").append(e.name().toLowerCase(java.util.Locale.ROOT)).append(' ').append(mode(e));
        row(sb, "eval_modes", modesText.length() == 0 ? "-" : modesText.toString());
        row(sb, "all_positive_queries", allPositive + "  (" + pct(allPositive, queries) + ")");
        row(sb, "all_negative_queries", allNegative + "  (" + pct(allNegative, queries) + ")");
        row(sb, "mixed_queries", mixed + "  (" + pct(mixed, queries) + ")");
        if (emptyQueries > 0) row(sb, "empty_queries", Long.toString(emptyQueries));
        row(sb, "candidates_per_query", String.format(java.util.Locale.ROOT, "min %d, mean %.2f, max %d",
                queries == 0 ? 0 : minPerQuery, ratio(candidates, queries), maxPerQuery));
        StringBuilder lv = new StringBuilder();
        for (Map.Entry<Double, Long> e : levels.entrySet())
            lv.append(lv.length() == 0 ? "" : ", ").append(e.getKey()).append(": ").append(e.getValue());
        if (missingAcc > 0) lv.append(lv.length() == 0 ? "" : ", ").append("missing: ").append(missingAcc);
        row(sb, "reward_levels", lv.length() == 0 ? "-" : lv.toString());
        row(sb, "pointers", localQueries == 0 ? "global" : localQueries == queries ? "local" : "mixed (" + localQueries + " local)");
        return sb.toString();
    }

    private static void row(StringBuilder sb, String k, String v) {
        sb.append(String.format(java.util.Locale.ROOT, "%-22s %s%n", k, v));
    }

    private static String pct(long a, long b) {
        return String.format(java.util.Locale.ROOT, "%.2f%%", 100.0 * ratio(a, b));
    }
}
