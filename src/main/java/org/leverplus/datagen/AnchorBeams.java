package org.leverplus.datagen;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.List;

/**
 * The beam-search result of one anchor, beams in the global filter's order (best first).
 *
 * @param anchor the anchor's global id
 * @param shots  ICDs per beam
 * @param beams  the kept beams
 */
public record AnchorBeams(int anchor, int shots, List<Beam> beams) {
    public AnchorBeams {
        beams = List.copyOf(beams);
    }

    /**
     * One beam.
     *
     * @param chosen      ICD ids in the order they were chosen (step 1 first)
     * @param shotScores  the InfoScore of each step's ICD when it was added
     * @param promptOrder ICD ids in prompt order (left-most first): chosen reversed for the left order, as chosen for right
     */
    public record Beam(int[] chosen, double[] shotScores, int[] promptOrder) {
        /** The beam's score: its last step's InfoScore (the original does not accumulate). */
        public double finalScore() { return shotScores[shotScores.length - 1]; }
    }

    /**
     * The anchor's object in the original's SFT file (spec 5.3): {@code beams} (per beam {@code shots} [{id, score}]
     * chronological, {@code final_score}, {@code full_sequence} = prompt order + anchor), {@code few_shot_num},
     * {@code id_list}, {@code score_list}, {@code shot_scores}.
     */
    public ObjectNode toJson() {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode o = f.objectNode();
        ArrayNode beamsNode = o.putArray("beams");
        ArrayNode idList = f.arrayNode(), scoreList = f.arrayNode(), shotScores = f.arrayNode();
        for (Beam b : beams) {
            ObjectNode bn = beamsNode.addObject();
            ArrayNode sh = bn.putArray("shots");
            for (int i = 0; i < b.chosen().length; i++) {
                ObjectNode s = sh.addObject();
                s.put("id", b.chosen()[i]);
                s.put("score", b.shotScores()[i]);
            }
            bn.put("final_score", b.finalScore());
            ArrayNode seq = bn.putArray("full_sequence");
            for (int id : b.promptOrder()) seq.add(id);
            seq.add(anchor);
            idList.add(seq.deepCopy());
            scoreList.add(b.finalScore());
            ArrayNode ss = shotScores.addArray();
            for (double v : b.shotScores()) ss.add(v);
        }
        o.put("few_shot_num", shots);
        o.set("id_list", idList);
        o.set("score_list", scoreList);
        o.set("shot_scores", shotScores);
        return o;
    }
}
