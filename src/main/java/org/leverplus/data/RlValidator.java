package org.leverplus.data;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;

/**
 * {@code lever data validate}: schema and consistency of an RL data file. Every problem is one line naming the file,
 * the query key and the field. Checked: field types; pointers inside the pool ({@code [0, |candidate_pool_ids|)} for
 * local pointers, and {@code pointer_global} equal to {@code candidate_pool_ids[pointer]}; global ids non-negative and,
 * when the dataset size is given, below it); one shot count per query; no ICD repeated within a sequence; the query
 * not in its own pool or sequences; {@code vqa_acc_score} in [0, 1]; {@code vqa_correct} in {0, 1} and equal to
 * {@code acc > 0}; known {@code vqa_eval_mode} values; the query object's {@code query_id} equal to the key.
 * Truncated or malformed JSON stops validation with one final problem.
 */
public final class RlValidator {
    private final String file;
    private final long datasetSize;
    private final Consumer<String> sink;
    private long problems;
    private long queries;

    /**
     * @param datasetSize number of items in the train split (global ids must be below it), or −1 for unknown
     * @param sink        receives each problem line as it is found
     */
    public RlValidator(String file, long datasetSize, Consumer<String> sink) {
        this.file = file;
        this.datasetSize = datasetSize;
        this.sink = sink;
    }

    /** Validates a file; returns the number of problems (0 = valid). */
    public static long validate(Path path, long datasetSize, Consumer<String> sink) throws IOException {
        RlValidator v = new RlValidator(path.toString(), datasetSize, sink);
        try {
            RlDataReader.stream(path, new RlDataReader.Visitor() {
                @Override public void query(RlQuery q) {
                    v.check(q);
                }

                @Override public void malformed(RlDataFormatException problem) {
                    v.queries++;
                    v.report(problem.getMessage());
                }
            });
        } catch (RlDataFormatException e) {
            v.report(e.getMessage());
        }
        return v.problems;
    }

    /** Queries seen. */
    public long queries() {
        return queries;
    }

    private void report(String line) {
        problems++;
        sink.accept(line);
    }

    private void problem(RlQuery q, String field, String what) {
        report(RlDataFormatException.format(file, q.key(), field, what));
    }

    /** Checks one query group. */
    public void check(RlQuery q) {
        queries++;
        int[] pool = q.candidatePoolIds();
        if (q.query() != null) {
            JsonNode qid = q.query().get("query_id");
            if (qid != null && !qid.isNull() && !(qid.canConvertToLong() && qid.asLong() == q.index()))
                problem(q, "query.query_id", "expected " + q.index() + " (the query key) but found " + qid);
        }
        if (pool != null) {
            Set<Integer> seen = new HashSet<>();
            for (int i = 0; i < pool.length; i++) {
                checkGlobal(q, "candidate_pool_ids[" + i + "]", pool[i]);
                if (!seen.add(pool[i])) problem(q, "candidate_pool_ids[" + i + "]", "id " + pool[i] + " appears twice in the pool");
            }
            if (seen.contains(q.index())) problem(q, "candidate_pool_ids", "the query " + q.index() + " is in its own candidate pool");
        }
        int shots = -1;
        List<RlCandidate> cs = q.candidates();
        for (int i = 0; i < cs.size(); i++) {
            RlCandidate c = cs.get(i);
            String f = "pointer_candidates[" + i + "].";
            if (c.pointer().length == 0) problem(q, f + "pointer", "expected at least one ICD but found an empty sequence");
            if (shots < 0) shots = c.pointer().length;
            else if (c.pointer().length != shots)
                problem(q, f + "pointer", "expected " + shots + " ICDs like the first candidate but found " + c.pointer().length);
            if (c.isLocal()) checkLocal(q, c, f, pool);
            else {
                for (int t = 0; t < c.pointer().length; t++) checkGlobal(q, f + "pointer[" + t + "]", c.pointer()[t]);
            }
            int[] g = c.globalPointer();
            Set<Integer> inSeq = new HashSet<>();
            boolean selfReported = false;
            for (int t = 0; t < g.length; t++) {
                if (!inSeq.add(g[t])) problem(q, f + "pointer", "ICD " + g[t] + " is repeated within the sequence " + Arrays.toString(g));
                if (g[t] == q.index() && !selfReported) {
                    problem(q, f + "pointer", "the sequence " + Arrays.toString(g) + " contains the query itself");
                    selfReported = true;
                }
            }
            Double acc = c.vqaAccScore();
            if (acc != null && !(acc >= 0 && acc <= 1)) problem(q, f + "vqa_acc_score", "expected a value in [0, 1] but found " + acc);
            Integer hard = c.vqaCorrect();
            if (hard != null && hard != 0 && hard != 1) problem(q, f + "vqa_correct", "expected 0 or 1 but found " + hard);
            else if (hard != null && acc != null && (hard == 1) != (acc > 0))
                problem(q, f + "vqa_correct", "expected " + (acc > 0 ? 1 : 0) + " (vqa_acc_score " + acc + " " + (acc > 0 ? ">" : "=") + " 0) but found " + hard);
            if (c.evalMode() == EvalMode.UNRECOGNISED)
                problem(q, f + "vqa_eval_mode", "expected one of vqaEval, train, val, official, fallback, error but found \"" + c.evalModeRaw() + "\"");
        }
    }

    private void checkLocal(RlQuery q, RlCandidate c, String f, int[] pool) {
        if (pool == null) {
            problem(q, f + "pointer_global", "the candidate has local pointers (pointer_global) but the query has no candidate_pool_ids");
            return;
        }
        if (c.pointerGlobal().length != c.pointer().length) {
            problem(q, f + "pointer_global", "expected " + c.pointer().length + " ids like pointer but found " + c.pointerGlobal().length);
            return;
        }
        for (int t = 0; t < c.pointer().length; t++) {
            int p = c.pointer()[t];
            if (p < 0 || p >= pool.length)
                problem(q, f + "pointer[" + t + "]", "expected a position in [0, " + pool.length + ") but found " + p);
            else if (pool[p] != c.pointerGlobal()[t])
                problem(q, f + "pointer_global[" + t + "]", "expected candidate_pool_ids[" + p + "] = " + pool[p] + " but found " + c.pointerGlobal()[t]);
        }
    }

    private void checkGlobal(RlQuery q, String field, int id) {
        if (id < 0 || (datasetSize >= 0 && id >= datasetSize))
            problem(q, field, "expected a dataset index in [0, " + (datasetSize >= 0 ? Long.toString(datasetSize) : "N") + ") but found " + id);
    }


    static List<String> collect(Path p, long n) throws IOException {
        List<String> out = new ArrayList<>();
        validate(p, n, out::add);
        return out;
    }
}
