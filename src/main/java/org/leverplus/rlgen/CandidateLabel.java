package org.leverplus.rlgen;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.leverplus.data.EvalMode;
import org.leverplus.metric.AnswerExtraction;
import org.leverplus.metric.FallbackMatch;
import org.leverplus.metric.VqaAccuracy;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The correctness label of one candidate from the VLM's raw generation (spec 8.3 steps 1-3, 5): answer extraction,
 * the official per-question accuracy when the question's human answers are known ({@code vqa_eval_mode}
 * "official", {@code eval_split_used} = the annotation source), otherwise the original's string-match fallback
 * (exact 1.0, substring 0.5; "fallback") only when allowed, else the candidate is dropped. Relevance is against
 * the post-processed human answers ({@code gt_answers_norm}).
 *
 * @param fields the candidate's label fields, or null when dropped
 * @param dropReason why it was dropped, or null
 */
public record CandidateLabel(ObjectNode fields, String dropReason) {
    public static final String NO_ANNOTATION = "no-annotation";
    public static final String NO_REFERENCE = "no-reference";

    public boolean dropped() { return fields == null; }

    /**
     * @param raw           decoded generation
     * @param found         the official answers, or null when no annotation source has the question
     * @param fallbackRefs  reference strings for the fallback (the item's answer), may be empty
     * @param allowFallback keep ungradable candidates with the fallback label
     */
    public static CandidateLabel of(String raw, AnswerSources.Found found, List<String> fallbackRefs, boolean allowFallback) {
        String pred = AnswerExtraction.extract(raw);
        double acc;
        String mode, split;
        List<String> relRefs;
        if (found != null) {
            acc = VqaAccuracy.official().score(pred, found.answers());
            mode = EvalMode.OFFICIAL.jsonValue();
            split = found.split();
            relRefs = normalised(found.answers());
        } else {
            if (!allowFallback) return new CandidateLabel(null, NO_ANNOTATION);
            if (fallbackRefs.isEmpty()) return new CandidateLabel(null, NO_REFERENCE);
            acc = FallbackMatch.score(pred, fallbackRefs);
            mode = EvalMode.FALLBACK.jsonValue();
            split = "fallback";
            relRefs = normalised(fallbackRefs);
        }
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("vqa_raw_generation", raw);
        o.put("vqa_pred_answer", pred);
        o.put("vqa_correct", acc > 0 ? 1 : 0);
        o.put("vqa_acc_score", acc);
        o.put("vqa_eval_mode", mode);
        o.put("eval_split_used", split);
        o.put("eval_failed", false);
        Relevance r = Relevance.of(pred, relRefs);
        o.put("vqa_rel_token_f1", r.tokenF1());
        o.put("vqa_rel_edit_sim", r.editSim());
        o.put("vqa_rel_score", r.score());
        return new CandidateLabel(o, null);
    }

    /** {@code gt_answers_norm}: the original's post-processing of each human answer. */
    public static List<String> normalised(List<String> answers) {
        List<String> out = new ArrayList<>(answers.size());
        for (String a : answers) out.add(AnswerExtraction.extract(a));
        return out;
    }

    /** The distinct normalised answers with their counts, in first-appearance order ({@code vqa_gt_prob}'s Counter). */
    public static Map<String, Integer> answerCounts(List<String> answers) {
        Map<String, Integer> c = new LinkedHashMap<>();
        for (String a : normalised(answers)) c.merge(a, 1, Integer::sum);
        return c;
    }
}
