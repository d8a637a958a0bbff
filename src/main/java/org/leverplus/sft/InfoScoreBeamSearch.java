package org.leverplus.sft;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * InfoScore beam search for one anchor (spec 5): {@code InfoScore(c | S, x) = P(y | S + c, x) - P(y | S, x)}, where
 * {@code S + c} puts the new ICD at the far left ({@link Order#LEFT}, the original's) or just before the query
 * ({@link Order#RIGHT}). Each beam keeps its {@code beamSize} best expansions, then the best {@code beamSize} of all
 * expansions survive; a beam's score is the InfoScore of its last ICD (not accumulated, as the original).
 * Candidates are tried in increasing id order and ties keep that order (the lower id first).
 */
public final class InfoScoreBeamSearch {
    /** Where a new ICD goes. */
    public enum Order { LEFT, RIGHT }

    /** Which InfoScores a beam keeps: the largest (intended) or the smallest (the original's Qwen quirk). */
    public enum TopK { LARGEST, SMALLEST }

    /** Search settings: beam size, shots (ICDs per sequence), order, per-beam top-k mode. */
    public record Settings(int beamSize, int shots, Order order, TopK perBeam) {
        public Settings {
            if (beamSize < 1) throw new IllegalArgumentException("--beam-size must be >= 1, got " + beamSize);
            if (shots < 1) throw new IllegalArgumentException("--shots must be >= 1, got " + shots);
        }

        /** The validated recipe: beam 5, 2 shots, left order, largest scores. */
        public static Settings defaults() { return new Settings(5, 2, Order.LEFT, TopK.LARGEST); }
    }

    /** {@code P(y | S, x)} of one anchor for ICD sequences S, each in prompt order (the query follows). */
    @FunctionalInterface
    public interface Scorer {
        double[] probabilities(int anchor, List<int[]> sequences) throws IOException;
    }

    private record Beam(int[] seq, int[] ids, double[] scores) {
        double last() { return scores.length == 0 ? Double.NaN : scores[scores.length - 1]; }
    }

    private InfoScoreBeamSearch() {}

    /**
     * The anchor's entry of the SFT file: {@code beams}, {@code few_shot_num}, {@code id_list}, {@code score_list},
     * {@code shot_scores} (spec 5.3).
     */
    public static ObjectNode search(int anchor, int[] pool, Settings s, Scorer scorer) throws IOException {
        int[] sorted = pool.clone();
        Arrays.sort(sorted);
        for (int i = 0; i < sorted.length; i++) {
            if (sorted[i] == anchor) throw new IllegalArgumentException("anchor " + anchor + ": its pool contains the anchor itself");
            if (i > 0 && sorted[i] == sorted[i - 1]) throw new IllegalArgumentException("anchor " + anchor + ": its pool lists " + sorted[i] + " twice");
        }
        if (sorted.length < s.shots()) throw new IllegalArgumentException("anchor " + anchor + ": " + sorted.length + " candidates for " + s.shots() + " shots");
        List<Beam> beams = List.of(new Beam(new int[0], new int[0], new double[0]));
        for (int step = 0; step < s.shots(); step++) {
            List<int[]> seqs = new ArrayList<>();
            List<int[]> candidates = new ArrayList<>();
            for (Beam b : beams) {
                seqs.add(b.seq());
                int[] cands = Arrays.stream(sorted).filter(c -> !contains(b.seq(), c)).toArray();
                candidates.add(cands);
                for (int c : cands) seqs.add(extend(b.seq(), c, s.order()));
            }
            double[] p = scorer.probabilities(anchor, seqs);
            if (p.length != seqs.size()) throw new IllegalStateException("scorer returned " + p.length + " probabilities for " + seqs.size() + " sequences");
            List<Beam> expansions = new ArrayList<>();
            int at = 0;
            for (int bi = 0; bi < beams.size(); bi++) {
                Beam b = beams.get(bi);
                double base = p[at++];
                int[] cands = candidates.get(bi);
                Integer[] idx = new Integer[cands.length];
                double[] score = new double[cands.length];
                for (int k = 0; k < cands.length; k++) {
                    idx[k] = k;
                    score[k] = p[at++] - base;
                }
                Comparator<Integer> byScore = Comparator.comparingDouble(k -> score[k]);
                if (s.perBeam() == TopK.LARGEST) byScore = byScore.reversed();
                Arrays.sort(idx, byScore); // stable: equal scores keep increasing id order
                for (int k = 0; k < Math.min(s.beamSize(), cands.length); k++) {
                    int c = cands[idx[k]];
                    expansions.add(new Beam(extend(b.seq(), c, s.order()), append(b.ids(), c), append(b.scores(), score[idx[k]])));
                }
            }
            // beam filter: the largest last-step scores of all expansions (stable for ties)
            expansions.sort(Comparator.comparingDouble(Beam::last).reversed());
            beams = expansions.subList(0, Math.min(s.beamSize(), expansions.size()));
        }
        return entry(anchor, beams, s.shots());
    }

    private static ObjectNode entry(int anchor, List<Beam> beams, int shots) {
        JsonNodeFactory f = JsonNodeFactory.instance;
        ObjectNode o = f.objectNode();
        ArrayNode bs = o.putArray("beams");
        ArrayNode idList = f.arrayNode(), scoreList = f.arrayNode(), shotScores = f.arrayNode();
        for (Beam b : beams) {
            ObjectNode bo = bs.addObject();
            ArrayNode sh = bo.putArray("shots");
            for (int i = 0; i < b.ids().length; i++) sh.addObject().put("id", b.ids()[i]).put("score", b.scores()[i]);
            bo.put("final_score", b.last());
            ArrayNode full = bo.putArray("full_sequence");
            for (int c : b.seq()) full.add(c);
            full.add(anchor);
            idList.add(full.deepCopy());
            scoreList.add(b.last());
            ArrayNode ss = shotScores.addArray();
            for (double v : b.scores()) ss.add(v);
        }
        o.put("few_shot_num", shots);
        o.set("id_list", idList);
        o.set("score_list", scoreList);
        o.set("shot_scores", shotScores);
        return o;
    }

    static int[] extend(int[] seq, int c, Order order) {
        int[] out = new int[seq.length + 1];
        if (order == Order.LEFT) {
            out[0] = c;
            System.arraycopy(seq, 0, out, 1, seq.length);
        } else {
            System.arraycopy(seq, 0, out, 0, seq.length);
            out[seq.length] = c;
        }
        return out;
    }

    private static int[] append(int[] a, int v) {
        int[] out = Arrays.copyOf(a, a.length + 1);
        out[a.length] = v;
        return out;
    }

    private static double[] append(double[] a, double v) {
        double[] out = Arrays.copyOf(a, a.length + 1);
        out[a.length] = v;
        return out;
    }

    private static boolean contains(int[] a, int v) {
        for (int x : a) if (x == v) return true;
        return false;
    }
}
