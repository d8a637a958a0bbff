package org.leverplus.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;

/**
 * One candidate ICD sequence of an RL query (an element of {@code pointer_candidates}, spec section 8.4).
 *
 * <p>The typed fields are what training and the tools use; {@link #raw()} is the complete JSON object as read,
 * including every field this class does not model ({@code vqa_raw_generation}, {@code aug_type}, ...), and is what
 * the writer emits, so a read + write round trip loses nothing. Do not mutate {@code raw}; use the {@code with...}
 * methods, which copy it.
 *
 * @param pointer       the {@code pointer} field: GLOBAL dataset indices, unless {@code pointerGlobal} is present,
 *                      in which case these are LOCAL positions in the query's {@code candidate_pool_ids}
 * @param pointerGlobal {@code pointer_global} (k64 files), or null
 * @param pointerPos    {@code pointer_pos} (v4 files: position in the generator's pool), or null
 * @param genMethod     {@code gen_method}, or null
 * @param vqaCorrect    {@code vqa_correct} (0/1), or null when absent (VQAv2 balanced files)
 * @param vqaAccScore   {@code vqa_acc_score} in [0, 1], or null
 * @param vqaGtProb     {@code vqa_gt_prob}, or null
 * @param vqaRelScore   {@code vqa_rel_score}, or null
 * @param beamScore     {@code beam_score}, or null
 * @param logprobScore  {@code logprob_score}, or null
 * @param evalModeRaw   {@code vqa_eval_mode} exactly as written, or null
 * @param evalFailed    {@code eval_failed} (absent = false)
 * @param raw           the full JSON object
 */
public record RlCandidate(int[] pointer, int[] pointerGlobal, int[] pointerPos, String genMethod,
                          Integer vqaCorrect, Double vqaAccScore, Double vqaGtProb, Double vqaRelScore,
                          Double beamScore, Double logprobScore, String evalModeRaw, boolean evalFailed,
                          ObjectNode raw) {

    /** Parses one candidate object; {@code file}/{@code queryKey}/{@code index} only feed error messages. */
    public static RlCandidate parse(JsonNode node, String file, String queryKey, int index) {
        String prefix = "pointer_candidates[" + index + "]";
        if (node == null || !node.isObject())
            throw new RlDataFormatException(file, queryKey, prefix, "expected an object but found " + JsonFields.describe(node));
        ObjectNode o = (ObjectNode) node;
        JsonFields f = new JsonFields(file, queryKey, prefix + ".");
        return new RlCandidate(
                f.intArray(o, "pointer", true),
                f.intArray(o, "pointer_global", false),
                f.intArray(o, "pointer_pos", false),
                f.string(o, "gen_method"),
                f.int01(o, "vqa_correct"),
                f.number(o, "vqa_acc_score"),
                f.number(o, "vqa_gt_prob"),
                f.number(o, "vqa_rel_score"),
                f.number(o, "beam_score"),
                f.number(o, "logprob_score"),
                f.string(o, "vqa_eval_mode"),
                f.bool(o, "eval_failed"),
                o);
    }

    /** The label provenance ({@code vqa_eval_mode} read with Lever-Plus's names mapped, absent = UNKNOWN). */
    public EvalMode evalMode() {
        return EvalMode.parse(evalModeRaw);
    }

    /** True when {@code pointer} holds local positions (the candidate has {@code pointer_global}). */
    public boolean isLocal() {
        return pointerGlobal != null;
    }

    /** The sequence as global dataset indices, whatever the file version. */
    public int[] globalPointer() {
        return pointerGlobal != null ? pointerGlobal : pointer;
    }

    /** Shot count (length of the pointer). */
    public int shots() {
        return pointer.length;
    }

    /**
     * Whether the candidate counts as positive: {@code vqa_correct == 1}, or {@code vqa_acc_score > 0} in files without
     * {@code vqa_correct} (VQAv2 balanced). A candidate with neither is negative.
     */
    public boolean isPositive() {
        if (vqaCorrect != null) return vqaCorrect == 1;
        return vqaAccScore != null && vqaAccScore > 0;
    }

    /**
     * A copy whose pointers are replaced (the rest of the JSON object, its key order included, kept).
     * {@code newPointerGlobal == null} removes {@code pointer_global} (the pointer becomes global).
     */
    public RlCandidate withPointers(int[] newPointer, int[] newPointerGlobal) {
        ObjectNode copy = raw.objectNode();
        boolean globalWritten = false;
        for (Iterator<Map.Entry<String, JsonNode>> it = raw.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            switch (e.getKey()) {
                case "pointer" -> {
                    copy.set("pointer", JsonFields.intArrayNode(newPointer));
                    if (newPointerGlobal != null) {
                        copy.set("pointer_global", JsonFields.intArrayNode(newPointerGlobal));
                        globalWritten = true;
                    }
                }
                case "pointer_global" -> {
                    if (newPointerGlobal != null && !globalWritten) {
                        copy.set("pointer_global", JsonFields.intArrayNode(newPointerGlobal));
                        globalWritten = true;
                    }
                }
                default -> copy.set(e.getKey(), e.getValue().deepCopy());
            }
        }
        return new RlCandidate(newPointer.clone(), newPointerGlobal == null ? null : newPointerGlobal.clone(),
                pointerPos, genMethod, vqaCorrect, vqaAccScore, vqaGtProb, vqaRelScore, beamScore, logprobScore,
                evalModeRaw, evalFailed, copy);
    }

    @Override public String toString() {
        return "RlCandidate[pointer=" + Arrays.toString(pointer)
                + (pointerGlobal != null ? ", pointer_global=" + Arrays.toString(pointerGlobal) : "")
                + ", gen_method=" + genMethod + ", vqa_correct=" + vqaCorrect + ", vqa_acc_score=" + vqaAccScore
                + ", vqa_eval_mode=" + evalModeRaw + "]";
    }
}
