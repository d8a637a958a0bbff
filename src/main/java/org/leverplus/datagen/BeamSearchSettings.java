package org.leverplus.datagen;

import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.leverplus.vlm.text.IcdPromptBuilder.AnswerTokenization;

import java.util.Locale;

/**
 * Settings of the InfoScore beam search (spec 5.2).
 *
 * @param beamSize beams kept after every step (the original's 5); also the per-beam top-k
 * @param shots    ICDs per sequence (the original's 2; any number up to the pool size)
 * @param order    where a new ICD goes in the prompt: {@link Order#LEFT} (the original's "left": prepended before the
 *                 chosen ICDs) or {@link Order#RIGHT} (appended after them, just before the query)
 * @param perBeamTopK which InfoScores each beam keeps: {@link TopK#LARGEST} (intended) or {@link TopK#SMALLEST}
 *                 (the original's Qwen setting, {@code largest = not isQwen}); the global beam filter always keeps
 *                 the largest
 * @param answerTokenization how the scored answer is tokenised: {@link AnswerTokenization#SEPARATE} (intended: the
 *                 answer on its own after the unchanged query prompt) or {@link AnswerTokenization#JOINED} (as the
 *                 original processor tokenised {@code "Short answer:{y}"}, where BPE may merge the colon into the
 *                 answer); either way only the answer's tokens are scored (docs/vlm-inputs.md)
 */
public record BeamSearchSettings(int beamSize, int shots, Order order, TopK perBeamTopK, AnswerTokenization answerTokenization) {
    /** Where each new ICD is inserted. */
    public enum Order {
        LEFT, RIGHT;

        public static Order parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "left" -> LEFT;
                case "right" -> RIGHT;
                default -> throw new IllegalArgumentException("--order: expected left or right but found \"" + s + "\"");
            };
        }

        public String externalName() { return name().toLowerCase(Locale.ROOT); }
    }

    /** Which end of the per-beam InfoScore ranking is kept. */
    public enum TopK {
        LARGEST, SMALLEST;

        public static TopK parse(String s) {
            return switch (s.toLowerCase(Locale.ROOT)) {
                case "largest" -> LARGEST;
                case "smallest" -> SMALLEST;
                default -> throw new IllegalArgumentException("--per-beam-topk: expected largest or smallest but found \"" + s + "\"");
            };
        }

        public String externalName() { return name().toLowerCase(Locale.ROOT); }
    }

    public BeamSearchSettings {
        if (beamSize < 1) throw new IllegalArgumentException("beam size must be >= 1 but is " + beamSize);
        if (shots < 1) throw new IllegalArgumentException("shots must be >= 1 but is " + shots);
        if (order == null || perBeamTopK == null || answerTokenization == null)
            throw new IllegalArgumentException("order, per-beam top-k and answer tokenization must be set");
    }

    /** With the intended (separate) answer tokenisation. */
    public BeamSearchSettings(int beamSize, int shots, Order order, TopK perBeamTopK) {
        this(beamSize, shots, order, perBeamTopK, AnswerTokenization.SEPARATE);
    }

    /** {@code separate} or {@code joined}, as {@code --answer-tokenization} takes it. */
    public static AnswerTokenization parseAnswerTokenization(String s) {
        return switch (s.toLowerCase(Locale.ROOT)) {
            case "separate" -> AnswerTokenization.SEPARATE;
            case "joined" -> AnswerTokenization.JOINED;
            default -> throw new IllegalArgumentException("--answer-tokenization: expected separate or joined but found \"" + s + "\"");
        };
    }

    /** The original's search shape (5 beams, 2 shots, left order) with the intended per-beam top-k (largest). */
    public static BeamSearchSettings defaults() {
        return new BeamSearchSettings(5, 2, Order.LEFT, TopK.LARGEST);
    }

    /**
     * Candidates a pool needs: every beam of the last step must still find {@code beamSize} candidates not yet in it
     * (the original's {@code torch.topk} fails otherwise).
     */
    public int minimumPool() { return beamSize + shots - 1; }

    public ObjectNode toJson() {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        o.put("beam_size", beamSize);
        o.put("shots", shots);
        o.put("order", order.externalName());
        o.put("per_beam_topk", perBeamTopK.externalName());
        o.put("global_filter", "largest");
        o.put("answer_tokenization", answerTokenization.name().toLowerCase(Locale.ROOT));
        o.put("probability", "exp(-mean cross-entropy over the answer's own tokens)");
        o.put("info_score", order == Order.LEFT ? "P(y | [c] + S, x) - P(y | S, x)" : "P(y | S + [c], x) - P(y | S, x)");
        o.put("beam_score", "last step's InfoScore (not accumulated)");
        return o;
    }
}
