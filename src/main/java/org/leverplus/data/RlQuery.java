package org.leverplus.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * One query group of an RL data file: the value under a numeric top-level key (spec section 8.4).
 *
 * @param key              the top-level key as written (the query's global dataset index as a string)
 * @param index            the key as an integer: the query's row in the train split and in the embedding matrix
 * @param query            the optional {@code query} object (v4+ files), or null
 * @param candidatePoolIds {@code candidate_pool_ids} (k64 files: global indices of the 64-item pool), or null
 * @param candidates       {@code pointer_candidates}, in file order
 * @param raw              the full JSON object (unknown fields included); the writer emits it unchanged
 */
public record RlQuery(String key, int index, ObjectNode query, int[] candidatePoolIds,
                      List<RlCandidate> candidates, ObjectNode raw) {

    /** The pool size Lever-Plus's trainer truncates a derived pool to (spec section 9.2). */
    public static final int TRAINER_MAX_POOL = 64;

    public RlQuery {
        candidates = List.copyOf(candidates);
    }

    /** Parses the object stored under {@code key}; file and key feed the error messages. */
    public static RlQuery parse(String key, JsonNode node, String file) {
        int index;
        try {
            index = Integer.parseInt(key);
        } catch (NumberFormatException e) {
            throw new RlDataFormatException(file, key, null, "expected an integer query key");
        }
        if (node == null || !node.isObject())
            throw new RlDataFormatException(file, key, null, "expected a query object but found " + JsonFields.describe(node));
        ObjectNode o = (ObjectNode) node;
        JsonFields f = new JsonFields(file, key, "");
        ObjectNode query = f.object(o, "query");
        int[] pool = f.intArray(o, "candidate_pool_ids", false);
        JsonNode pcs = o.get("pointer_candidates");
        if (JsonFields.missing(pcs))
            throw f.error("pointer_candidates", "expected an array of candidates but the field is missing");
        if (!pcs.isArray())
            throw f.error("pointer_candidates", "expected an array of candidates but found " + JsonFields.describe(pcs));
        List<RlCandidate> cands = new ArrayList<>(pcs.size());
        for (int i = 0; i < pcs.size(); i++) cands.add(RlCandidate.parse(pcs.get(i), file, key, i));
        return new RlQuery(key, index, query, pool, cands, o);
    }

    /**
     * The query's human answers from {@code query.gt_answers_raw}, whichever way the file stores them: strings (v4) or
     * official answer dicts {@code {"answer": ...}} (VQAv2 balanced). Empty when the file has no query object or no
     * answers (then only the fallback string match could label a new prediction).
     */
    public java.util.Optional<List<String>> humanAnswers() {
        if (query == null) return java.util.Optional.empty();
        JsonNode raw = query.get("gt_answers_raw");
        if (raw == null || !raw.isArray() || raw.isEmpty()) return java.util.Optional.empty();
        List<String> out = new ArrayList<>(raw.size());
        for (int i = 0; i < raw.size(); i++) {
            JsonNode a = raw.get(i);
            if (a.isObject()) a = a.get("answer");
            if (a == null || !a.isTextual())
                throw new RlDataFormatException(null, key, "query.gt_answers_raw[" + i + "]",
                        "expected a string or an object with a string \"answer\" but found " + JsonFields.describe(raw.get(i)));
            out.add(a.textValue());
        }
        return java.util.Optional.of(out);
    }

    /** True when the candidates use local pointers (Lever-Plus's test: the first candidate has {@code pointer_global}). */
    public boolean isLocal() {
        return !candidates.isEmpty() && candidates.get(0).isLocal();
    }

    /** Number of candidates with {@code vqa_correct == 1} (or acc > 0 where vqa_correct is absent). */
    public int positiveCount() {
        int n = 0;
        for (RlCandidate c : candidates) if (c.isPositive()) n++;
        return n;
    }

    /** Sorted distinct global indices over all candidates' sequences. */
    public int[] distinctGlobalIds() {
        TreeSet<Integer> ids = new TreeSet<>();
        for (RlCandidate c : candidates) for (int g : c.globalPointer()) ids.add(g);
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    /**
     * The candidate pool the Lever-Plus trainer uses for this query (spec section 9.2): {@code candidate_pool_ids}
     * when present AND the first candidate has {@code pointer_global}; otherwise the sorted distinct global ids of all
     * pointers, truncated to {@link #TRAINER_MAX_POOL}.
     */
    public int[] trainingPool() {
        if (candidatePoolIds != null && isLocal()) return candidatePoolIds.clone();
        int[] ids = distinctGlobalIds();
        return ids.length > TRAINER_MAX_POOL ? Arrays.copyOf(ids, TRAINER_MAX_POOL) : ids;
    }

    /**
     * The candidate's sequence as positions in {@code pool} (the training labels).
     *
     * @throws IllegalArgumentException if a global id is not in the pool (e.g. cut by the 64 truncation)
     */
    public int[] localLabels(RlCandidate c, int[] pool) {
        if (c.isLocal() && candidatePoolIds != null && Arrays.equals(pool, candidatePoolIds)) return c.pointer().clone();
        int[] g = c.globalPointer();
        int[] out = new int[g.length];
        for (int t = 0; t < g.length; t++) {
            int pos = indexOf(pool, g[t]);
            if (pos < 0)
                throw new IllegalArgumentException("query \"" + key + "\": global id " + g[t] + " of candidate "
                        + Arrays.toString(g) + " is not in the query's pool of " + pool.length + " items");
            out[t] = pos;
        }
        return out;
    }

    private static int indexOf(int[] a, int v) {
        for (int i = 0; i < a.length; i++) if (a[i] == v) return i;
        return -1;
    }

    /** A copy without {@code candidate_pool_ids}. */
    public RlQuery withoutPool() {
        if (candidatePoolIds == null) return this;
        ObjectNode copy = raw.deepCopy();
        copy.remove("candidate_pool_ids");
        return new RlQuery(key, index, copy.get("query") instanceof ObjectNode q ? q : null, null,
                reparse(copy), copy);
    }

    private List<RlCandidate> reparse(ObjectNode copy) {
        List<RlCandidate> out = new ArrayList<>();
        JsonNode arr = copy.get("pointer_candidates");
        for (int i = 0; i < arr.size(); i++) out.add(RlCandidate.parse(arr.get(i), null, key, i));
        return out;
    }

    /**
     * A copy with other candidates and pool (the rest of the object, key order included, kept).
     * {@code newPool == null} keeps the current {@code candidate_pool_ids} (or its absence).
     */
    public RlQuery withCandidates(List<RlCandidate> newCandidates, int[] newPool) {
        int[] pool = newPool != null ? newPool : candidatePoolIds;
        ObjectNode copy = raw.objectNode();
        boolean poolWritten = false;
        for (Iterator<Map.Entry<String, JsonNode>> it = raw.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            switch (e.getKey()) {
                case "candidate_pool_ids" -> {
                    if (pool != null) copy.set("candidate_pool_ids", JsonFields.intArrayNode(pool));
                    poolWritten = true;
                }
                case "pointer_candidates" -> {
                    if (pool != null && !poolWritten) {
                        copy.set("candidate_pool_ids", JsonFields.intArrayNode(pool));
                        poolWritten = true;
                    }
                    ArrayNode arr = copy.putArray("pointer_candidates");
                    for (RlCandidate c : newCandidates) arr.add(c.raw());
                }
                default -> copy.set(e.getKey(), e.getValue().deepCopy());
            }
        }
        return new RlQuery(key, index, copy.get("query") instanceof ObjectNode q ? q : null, pool == null ? null : pool.clone(),
                newCandidates, copy);
    }
}
