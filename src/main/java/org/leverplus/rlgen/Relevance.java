package org.leverplus.rlgen;

import org.leverplus.metric.PythonText;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The relevance fields of a labelled candidate (the original's {@code compute_relevance}, spec 8.3 step 5):
 * {@code vqa_rel_token_f1} = max over the normalised human answers of the bag-of-tokens F1 (tokens =
 * {@code re.findall("[a-z0-9]+", s.lower())}), {@code vqa_rel_edit_sim} = max of
 * {@code difflib.SequenceMatcher(None, pred.strip().lower(), gt.strip().lower()).ratio()},
 * {@code vqa_rel_score} = the larger of the two; all 0 when the prediction is empty (after strip) or there are no answers.
 */
public record Relevance(double tokenF1, double editSim, double score) {
    private static final Pattern TOKEN = Pattern.compile("[a-z0-9]+");

    public static Relevance of(String prediction, List<String> answers) {
        if (prediction == null || PythonText.strip(prediction).isEmpty() || answers.isEmpty()) return new Relevance(0, 0, 0);
        double f1 = 0, ed = 0;
        String p = PythonText.lower(PythonText.strip(prediction));
        for (String g : answers) {
            f1 = Math.max(f1, tokenF1(prediction, g));
            ed = Math.max(ed, SequenceMatcher.ratio(p, PythonText.lower(PythonText.strip(g))));
        }
        return new Relevance(f1, ed, Math.max(f1, ed));
    }

    static List<String> tokens(String s) {
        List<String> out = new ArrayList<>();
        Matcher m = TOKEN.matcher(PythonText.lower(s));
        while (m.find()) out.add(m.group());
        return out;
    }

    /** Bag-of-tokens F1 (0 when either side has no tokens or none are shared). */
    public static double tokenF1(String prediction, String answer) {
        List<String> p = tokens(prediction), g = tokens(answer);
        if (p.isEmpty() || g.isEmpty()) return 0;
        Map<String, Integer> counts = new HashMap<>();
        for (String t : g) counts.merge(t, 1, Integer::sum);
        int same = 0;
        for (String t : p) {
            Integer c = counts.get(t);
            if (c != null && c > 0) { same++; counts.put(t, c - 1); }
        }
        if (same == 0) return 0;
        double precision = (double) same / p.size(), recall = (double) same / g.size();
        return 2 * precision * recall / (precision + recall);
    }
}
