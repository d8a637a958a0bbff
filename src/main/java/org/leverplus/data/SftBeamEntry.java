package org.leverplus.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.List;

/**
 * One anchor of an SFT beam file (spec section 5.3): the beam-search result for query {@code index}.
 *
 * @param key        the top-level key as written
 * @param index      the anchor's global id
 * @param idList     {@code id_list}: per beam the sequence in prompt order, the query last ({@code [c2, c1, q]})
 * @param scoreList  {@code score_list}: per beam the last-step InfoScore (beam-filter order, descending)
 * @param shotScores {@code shot_scores}: per beam the score after each step, or null when absent
 * @param fewShotNum {@code few_shot_num}, or null
 * @param raw        the full JSON object (including {@code beams} and any unknown field); written back unchanged
 */
public record SftBeamEntry(String key, int index, List<int[]> idList, double[] scoreList, List<double[]> shotScores,
                           Integer fewShotNum, ObjectNode raw) {

    /** Parses the object under {@code key}; {@code file} feeds error messages. */
    public static SftBeamEntry parse(String key, JsonNode node, String file) {
        int index;
        try {
            index = Integer.parseInt(key);
        } catch (NumberFormatException e) {
            throw new RlDataFormatException(file, key, null, "expected an integer anchor key");
        }
        if (node == null || !node.isObject())
            throw new RlDataFormatException(file, key, null, "expected an anchor object but found " + JsonFields.describe(node));
        ObjectNode o = (ObjectNode) node;
        JsonFields f = new JsonFields(file, key, "");
        List<int[]> ids = intLists(o, "id_list", f, true);
        double[] scores = numbers(o, "score_list", f);
        List<double[]> shots = numberLists(o, "shot_scores", f);
        Integer fsn = null;
        JsonNode n = o.get("few_shot_num");
        if (!JsonFields.missing(n)) {
            if (!n.canConvertToInt() || !n.isIntegralNumber()) throw f.error("few_shot_num", "expected an integer but found " + JsonFields.describe(n));
            fsn = n.intValue();
        }
        if (scores != null && scores.length != ids.size())
            throw f.error("score_list", "expected " + ids.size() + " scores (one per id_list entry) but found " + scores.length);
        return new SftBeamEntry(key, index, ids, scores, shots, fsn, o);
    }

    /** The ICDs of beam {@code b} in prompt order (id_list without the trailing query). */
    public int[] icds(int b) {
        int[] seq = idList.get(b);
        return java.util.Arrays.copyOf(seq, Math.max(0, seq.length - 1));
    }

    private static List<int[]> intLists(ObjectNode o, String field, JsonFields f, boolean required) {
        JsonNode n = o.get(field);
        if (JsonFields.missing(n)) {
            if (required) throw f.error(field, "expected an array of integer arrays but the field is missing");
            return null;
        }
        if (!n.isArray()) throw f.error(field, "expected an array of integer arrays but found " + JsonFields.describe(n));
        List<int[]> out = new ArrayList<>(n.size());
        for (int i = 0; i < n.size(); i++) {
            JsonNode row = n.get(i);
            if (!row.isArray()) throw f.error(field + "[" + i + "]", "expected an array of integers but found " + JsonFields.describe(row));
            int[] r = new int[row.size()];
            for (int j = 0; j < r.length; j++) {
                JsonNode e = row.get(j);
                if (!e.isIntegralNumber() || !e.canConvertToInt())
                    throw f.error(field + "[" + i + "][" + j + "]", "expected an integer but found " + JsonFields.describe(e));
                r[j] = e.intValue();
            }
            out.add(r);
        }
        return out;
    }

    private static double[] numbers(ObjectNode o, String field, JsonFields f) {
        JsonNode n = o.get(field);
        if (JsonFields.missing(n)) return null;
        if (!n.isArray()) throw f.error(field, "expected an array of numbers but found " + JsonFields.describe(n));
        double[] out = new double[n.size()];
        for (int i = 0; i < out.length; i++) {
            if (!n.get(i).isNumber()) throw f.error(field + "[" + i + "]", "expected a number but found " + JsonFields.describe(n.get(i)));
            out[i] = n.get(i).doubleValue();
        }
        return out;
    }

    private static List<double[]> numberLists(ObjectNode o, String field, JsonFields f) {
        JsonNode n = o.get(field);
        if (JsonFields.missing(n)) return null;
        if (!n.isArray()) throw f.error(field, "expected an array of number arrays but found " + JsonFields.describe(n));
        List<double[]> out = new ArrayList<>(n.size());
        for (int i = 0; i < n.size(); i++) {
            JsonNode row = n.get(i);
            if (!row.isArray()) throw f.error(field + "[" + i + "]", "expected an array of numbers but found " + JsonFields.describe(row));
            double[] r = new double[row.size()];
            for (int j = 0; j < r.length; j++) {
                if (!row.get(j).isNumber()) throw f.error(field + "[" + i + "][" + j + "]", "expected a number but found " + JsonFields.describe(row.get(j)));
                r[j] = row.get(j).doubleValue();
            }
            out.add(r);
        }
        return out;
    }
}
