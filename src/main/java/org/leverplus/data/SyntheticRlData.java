package org.leverplus.data;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Generates RL data files in each of Lever-Plus's formats (spec section 8.4), with plausible values, for tests,
 * documentation examples and benchmarks. Writing streams query by query, so any size fits in small memory.
 */
public final class SyntheticRlData {
    /** The file versions of spec section 8.4. */
    public enum Format {
        /** v1–v3: global {@code pointer}, no query object, no eval mode. */
        V1,
        /** v4 strictEval: global pointer + {@code pointer_pos}, {@code query} object, eval modes, {@code _meta}. */
        V4,
        /** k64: local pointer + {@code pointer_global} + query-level {@code candidate_pool_ids}. */
        K64,
        /** VQAv2 balanced: only {@code pointer}, {@code vqa_pred_answer}, {@code vqa_acc_score}. */
        BALANCED
    }

    /**
     * @param format     the file version
     * @param queries    number of query groups
     * @param candidates candidates per query
     * @param poolSize   train-split size the global ids are drawn from (k64 pools have 64 items)
     * @param seed       random seed (same seed, same file)
     * @param firstIndex global id of the first query (shards of one run use disjoint ranges, as Lever-Plus's
     *                   {@code [start, end)} shards do)
     */
    public record Spec(Format format, int queries, int candidates, int poolSize, long seed, int firstIndex) {
        public Spec {
            if (queries < 0 || candidates < 1 || poolSize < 70 || firstIndex < 0 || (long) firstIndex + queries > poolSize)
                throw new IllegalArgumentException("synthetic RL data: expected 0 <= first index, first index + queries <= pool, candidates >= 1, pool >= 70 but found "
                        + queries + " queries from " + firstIndex + ", " + candidates + " candidates, pool " + poolSize);
        }

        /** Queries spread over the whole pool, starting at id 0. */
        public Spec(Format format, int queries, int candidates, int poolSize, long seed) {
            this(format, queries, candidates, poolSize, seed, 0);
        }
    }

    private static final double[] ACC_LEVELS = {0.0, 0.3, 0.6, 0.9, 1.0};
    private static final String[] MODES = {"vqaEval", "vqaEval", "vqaEval", "vqaEval", "train", "val", "fallback", "error"};
    private static final String[] GEN = {"beam", "sample", "retrieval", "random"};
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private SyntheticRlData() {
    }

    /** Writes a generated file to {@code out} (atomically). */
    public static void write(Spec spec, Path out, boolean overwrite) throws IOException {
        write(spec, out, overwrite, () -> { });
    }

    /** Work run after the file is complete and before it is committed (to commit a companion output first). */
    public interface BeforeCommit {
        void run() throws IOException;
    }

    /** As {@link #write(Spec, Path, boolean)}; {@code beforeCommit} runs once everything is written. */
    public static void write(Spec spec, Path out, boolean overwrite, BeforeCommit beforeCommit) throws IOException {
        SplittableRandom rnd = new SplittableRandom(spec.seed());
        try (RlDataWriter w = RlDataWriter.open(out, overwrite)) {
            int step = Math.max(1, (spec.poolSize() - spec.firstIndex()) / Math.max(1, spec.queries()));
            for (int i = 0; i < spec.queries(); i++) {
                int qidx = spec.firstIndex() + i * step; // distinct and < pool, since first + queries * step <= pool
                w.query(RlQuery.parse(Integer.toString(qidx), query(spec, qidx, rnd), out.toString()));
            }
            if (spec.format() != Format.V1) w.meta(meta(spec));
            beforeCommit.run();
            w.commit();
        }
    }

    /** Generates an in-memory file (for tests). */
    public static RlData generate(Spec spec) {
        SplittableRandom rnd = new SplittableRandom(spec.seed());
        List<RlQuery> qs = new ArrayList<>();
        java.util.Set<Integer> used = new java.util.HashSet<>();
        for (int i = 0; i < spec.queries(); i++) {
            int qidx;
            do qidx = rnd.nextInt(spec.poolSize()); while (!used.add(qidx));
            qs.add(RlQuery.parse(Integer.toString(qidx), query(spec, qidx, rnd), "<synthetic>"));
        }
        return new RlData(qs, spec.format() == Format.V1 ? null : meta(spec), java.util.Map.of(), false);
    }

    static ObjectNode meta(Spec spec) {
        ObjectNode m = F.objectNode();
        m.put("created_at", "2025-12-16 10:00:00");
        m.put("vqa_model", "Qwen/Qwen2.5-VL-3B-Instruct");
        m.put("strict_eval", spec.format() != Format.V1);
        m.put("notes", "synthetic " + spec.format() + " file generated by lever data make-synthetic (seed " + spec.seed() + ")");
        return m;
    }

    static ObjectNode query(Spec spec, int qidx, SplittableRandom rnd) {
        ObjectNode q = F.objectNode();
        int[] pool = null;
        if (spec.format() == Format.V4 || spec.format() == Format.BALANCED) {
            ObjectNode info = q.putObject("query");
            info.put("query_id", qidx);
            info.put("question_id", (long) qidx * 10 + 5);
            if (spec.format() == Format.V4) info.put("image_id", 100000 + qidx);
            info.put("question", "What color is object " + qidx + "?");
            ArrayNode raw = info.putArray("gt_answers_raw");
            for (int a = 0; a < 10; a++) {
                String ans = a < 6 ? "red" : "blue";
                if (spec.format() == Format.BALANCED) {
                    ObjectNode d = raw.addObject();
                    d.put("answer", ans);
                    d.put("answer_confidence", "yes");
                    d.put("answer_id", a + 1);
                } else raw.add(ans);
            }
            if (spec.format() == Format.V4) {
                ArrayNode norm = info.putArray("gt_answers_norm");
                for (int a = 0; a < 10; a++) norm.add(a < 6 ? "red" : "blue");
            }
        }
        if (spec.format() == Format.K64) {
            pool = new int[64];
            java.util.Set<Integer> s = new java.util.LinkedHashSet<>();
            while (s.size() < 64) {
                int g = rnd.nextInt(spec.poolSize());
                if (g != qidx) s.add(g);
            }
            int k = 0;
            for (int g : s) pool[k++] = g;
            q.set("candidate_pool_ids", JsonFields.intArrayNode(pool));
        }
        ArrayNode cands = q.putArray("pointer_candidates");
        java.util.Set<Long> pairs = new java.util.HashSet<>();
        double pPos = rnd.nextDouble();
        for (int c = 0; c < spec.candidates(); c++) {
            int a, b;
            int la = 0, lb = 0;
            do {
                if (pool != null) {
                    la = rnd.nextInt(64);
                    do lb = rnd.nextInt(64); while (lb == la);
                    a = pool[la];
                    b = pool[lb];
                } else {
                    do a = rnd.nextInt(spec.poolSize()); while (a == qidx);
                    do b = rnd.nextInt(spec.poolSize()); while (b == qidx || b == a);
                }
            } while (!pairs.add(Math.min(a, b) * 100_000_000L + Math.max(a, b)) && pairs.size() < 1000);
            ObjectNode o = cands.addObject();
            boolean pos = rnd.nextDouble() < pPos;
            double acc = pos ? ACC_LEVELS[1 + rnd.nextInt(4)] : 0.0;
            String pred = pos ? "red" : "green";
            switch (spec.format()) {
                case BALANCED -> {
                    o.set("pointer", JsonFields.intArrayNode(new int[]{Math.min(a, b), Math.max(a, b)}));
                    o.put("vqa_pred_answer", pred);
                    o.put("vqa_acc_score", acc);
                }
                case V1, V4, K64 -> {
                    if (pool != null) {
                        o.set("pointer", JsonFields.intArrayNode(new int[]{la, lb}));
                        o.set("pointer_global", JsonFields.intArrayNode(new int[]{a, b}));
                    } else o.set("pointer", JsonFields.intArrayNode(new int[]{a, b}));
                    if (spec.format() == Format.V4) o.set("pointer_pos", JsonFields.intArrayNode(new int[]{a, b}));
                    String gen = GEN[rnd.nextInt(GEN.length)];
                    o.put("gen_method", gen);
                    if (gen.equals("beam")) {
                        o.put("beam_rank", c);
                        o.put("beam_score", rnd.nextDouble() * 2);
                    }
                    o.put("logprob_score", -rnd.nextDouble() * 8);
                    if (gen.equals("sample")) o.put("temperature", rnd.nextBoolean() ? 1.0 : 1.3);
                    else o.putNull("temperature");
                    o.put("vqa_raw_generation", pred + (rnd.nextBoolean() ? "" : "\nQuestion: what"));
                    o.put("vqa_pred_answer", pred);
                    o.put("vqa_correct", pos ? 1 : 0);
                    o.put("vqa_acc_score", acc);
                    if (spec.format() != Format.V1) {
                        o.put("vqa_gt_prob", Math.round(rnd.nextDouble() * 1e4) / 1e4);
                        o.put("vqa_rel_token_f1", pos ? 1.0 : 0.0);
                        o.put("vqa_rel_edit_sim", Math.round(rnd.nextDouble() * 1e4) / 1e4);
                        o.put("vqa_rel_score", pos ? 1.0 : 0.4);
                        String mode = MODES[rnd.nextInt(MODES.length)];
                        o.put("vqa_eval_mode", mode);
                        o.put("eval_split_used", mode.equals("fallback") ? "fallback" : "train");
                        o.put("eval_failed", mode.equals("error"));
                    }
                }
            }
        }
        return q;
    }
}
