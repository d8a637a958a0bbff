package org.leverplus.reward;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.leverplus.data.RlCandidate;
import org.leverplus.data.RlQuery;
import org.leverplus.io.JsonSupport;

import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** Every reward mode and normalisation against values computed by hand (comments show the arithmetic). */
class RewardTest {
    private static final double EPS = 1e-9;

    private static RlCandidate cand(String json) {
        try {
            return RlCandidate.parse(JsonSupport.mapper().readTree(json), "t", "1", 0);
        } catch (Exception e) {
            throw new AssertionError(e);
        }
    }

    private static final RlCandidate POS = cand("{\"pointer\":[1,2],\"vqa_correct\":1,\"vqa_acc_score\":0.6,\"vqa_gt_prob\":0.4,\"vqa_rel_score\":0.5,\"beam_score\":1.5,\"logprob_score\":-2.3}");
    private static final RlCandidate NEG = cand("{\"pointer\":[1,3],\"vqa_correct\":0,\"vqa_acc_score\":0.3,\"vqa_gt_prob\":0.2,\"vqa_rel_score\":0.5}");

    private static double r(RlCandidate c, RewardMode m) {
        return CandidateReward.compute(c, RewardConfig.defaults().withMode(m));
    }

    @Test
    void everyModeWithDefaultWeights() {
        assertEquals(1.6, r(POS, RewardMode.HARD_PLUS_SOFT), EPS);            // 1·1 + 1·0.6
        assertEquals(2.6, r(POS, RewardMode.HARD_PLUS_SOFT_V2), EPS);         // 0.6 + 2·1
        assertEquals(1.0, r(POS, RewardMode.HARD_ONLY), EPS);
        assertEquals(0.6, r(POS, RewardMode.SOFT_ONLY), EPS);
        assertEquals(2.6, r(POS, RewardMode.SEPARATED), EPS);                 // 2 + 0.6
        assertEquals(1.4, r(POS, RewardMode.HARD01_PLUS_GTPROB), EPS);        // 1 + 0.4
        assertEquals(2.4, r(POS, RewardMode.HARD01_PLUS_GTPROB_SEPARATED), EPS);
        assertEquals(1.4, r(POS, RewardMode.HARD_PLUS_GTPROB_PLUS_REL), EPS); // 1 + 0.4 + 0.1·0·0.5

        assertEquals(0.3, r(NEG, RewardMode.HARD_PLUS_SOFT), EPS);
        assertEquals(0.3, r(NEG, RewardMode.HARD_PLUS_SOFT_V2), EPS);
        assertEquals(0.0, r(NEG, RewardMode.HARD_ONLY), EPS);
        assertEquals(0.3, r(NEG, RewardMode.SOFT_ONLY), EPS);
        assertEquals(0.3, r(NEG, RewardMode.SEPARATED), EPS);
        assertEquals(0.2, r(NEG, RewardMode.HARD01_PLUS_GTPROB), EPS);
        assertEquals(0.2, r(NEG, RewardMode.HARD01_PLUS_GTPROB_SEPARATED), EPS);
        assertEquals(0.25, r(NEG, RewardMode.HARD_PLUS_GTPROB_PLUS_REL), EPS); // 0 + 0.2 + 0.1·1·0.5
    }

    @Test
    void weightsClipLegacyAndHybrid() {
        RewardConfig rel = RewardConfig.defaults().withMode(RewardMode.HARD_PLUS_GTPROB_PLUS_REL).withWeights(2, 1, 0.1);
        assertEquals(2.4, CandidateReward.compute(POS, rel), EPS);           // 2·1 + 0.4
        RewardConfig big = RewardConfig.defaults().withMode(RewardMode.HARD_ONLY).withWeights(10, 1, 0.1);
        assertEquals(5.0, CandidateReward.compute(POS, big), EPS);           // clipped at +5
        RewardConfig neg = RewardConfig.defaults().withMode(RewardMode.SOFT_ONLY).withWeights(1, -100, 0.1);
        assertEquals(-5.0, CandidateReward.compute(POS, neg), EPS);          // clipped at −5

        RewardConfig legacy = RewardConfig.defaults().withMode(RewardMode.LEGACY);
        assertEquals(0.0, CandidateReward.compute(POS, legacy), EPS);        // alpha = beta = 0 by default
        assertEquals(1.3, CandidateReward.compute(POS, legacy.withLegacy(0.2, 1.0, false, false)), EPS); // 0.2·1.5 + 1
        assertEquals(-1.0, CandidateReward.compute(NEG, legacy.withLegacy(0.2, 1.0, true, false)), EPS); // 0 + (2·0−1)
        assertEquals(0.46 + 1.0, CandidateReward.compute(POS, legacy.withLegacy(0.2, 1.0, true, true)), EPS); // 0.2·2.3 + 1
        RlCandidate balanced = cand("{\"pointer\":[1,2],\"vqa_acc_score\":0.9}");
        assertEquals(0.9, CandidateReward.compute(balanced, legacy.withLegacy(0, 1, false, false)), EPS); // acc stands in for hard
        assertEquals(0.9, CandidateReward.compute(balanced, RewardConfig.defaults()), EPS); // hard_plus_soft degenerates to acc

        assertThrows(IllegalArgumentException.class, () -> r(POS, RewardMode.HYBRID));
        assertEquals(RewardMode.HARD01_PLUS_GTPROB_SEPARATED, RewardMode.parse("hard01_plus_gtprob_separated"));
        assertThrows(IllegalArgumentException.class, () -> RewardMode.parse("nope"));
    }

    @Test
    void zScoreAndClamp() {
        // r = [1,2,3,6]: mean 3, SS = 14, var = 14/3, std = 2.1602468995
        double std = Math.sqrt(14.0 / 3);
        assertArrayEquals(new double[]{-2 / std, -1 / std, 0, 3 / std}, GroupNormalization.zScore(new double[]{1, 2, 3, 6}), 1e-12);
        // 19 zeros and one 1: mean 0.05, var = 0.95/19 = 0.05, std = 0.2236; z(1) = 4.249 → clamped to 3
        double[] r = new double[20];
        r[7] = 1;
        double[] z = GroupNormalization.zScoreClamp(r, 3.0);
        assertEquals(3.0, z[7], EPS);
        assertEquals(-0.05 / Math.sqrt(0.05), z[0], 1e-12);
        assertEquals(4.2485291572, GroupNormalization.zScore(r)[7], 1e-9);
        // a flat group and a single candidate keep their raw values (std ≤ 1e-12 / NaN)
        assertArrayEquals(new double[]{1.6, 1.6, 1.6}, GroupNormalization.zScore(new double[]{1.6, 1.6, 1.6}), 0);
        assertArrayEquals(new double[]{2.0}, GroupNormalization.zScore(new double[]{2.0}), 0);
        assertArrayEquals(new double[]{3.0}, GroupNormalization.zScoreClamp(new double[]{4.0}, 3.0), 0);
    }

    @Test
    void rankNormalisation() {
        // rewards 0.5, 2, 1 → ranks 2, 0, 1 → 1 − 2·rank/2
        assertArrayEquals(new double[]{-1, 1, 0}, GroupNormalization.rank(new double[]{0.5, 2, 1}), EPS);
        assertArrayEquals(new double[]{0}, GroupNormalization.rank(new double[]{7}), EPS);
        // ties: earlier candidate ranks first
        assertArrayEquals(new double[]{1, 0, -1}, GroupNormalization.rank(new double[]{1, 1, 0}), EPS);
    }

    @Test
    void grpoAdvantages() {
        assertArrayEquals(new double[]{0, 0, 0}, GrpoAdvantages.zScore(new double[]{1, 1, 1}), 0);
        double s = Math.sqrt(0.5);                     // std of [0,1], unbiased
        assertArrayEquals(new double[]{-0.5 / s, 0.5 / s}, GrpoAdvantages.zScore(new double[]{0, 1}), 1e-12);
        // [1, 1.02]: std 0.01414 < 0.1 → floor: (∓0.01)/0.1
        assertArrayEquals(new double[]{-0.1, 0.1}, GrpoAdvantages.zScore(new double[]{1, 1.02}), 1e-12);
        double[] r = new double[31];
        r[30] = 100;                                   // lone outlier: z ≈ 5.39 → clipped to 5
        assertEquals(5.0, GrpoAdvantages.zScore(r)[30], 0);
        assertArrayEquals(new double[]{0}, GrpoAdvantages.zScore(new double[]{3}), 0);
        assertArrayEquals(new int[]{1, 3, 0}, GrpoAdvantages.topK(new double[]{1, 2, 0, 2}, 3));
    }

    @Test
    void rceWeightsAndSchedule() {
        double e = Math.E;
        assertArrayEquals(new double[]{1 / (1 + e), e / (1 + e)}, RceWeights.softmax(new double[]{0, 1}, 1.0), 1e-12);
        double e2 = Math.exp(2);                       // τ = 0.5 → logits [0, 2]
        assertArrayEquals(new double[]{1 / (1 + e2), e2 / (1 + e2)}, RceWeights.softmax(new double[]{0, 1}, 0.5), 1e-12);
        // rank weights: rewards [3, 1, 2] → ascending ranks [2, 0, 1] → scaled [1, 0, 0.5]
        double[] w = RceWeights.rankSoftmax(new double[]{3, 1, 2}, 1.0);
        double z = e + 1 + Math.exp(0.5);
        assertArrayEquals(new double[]{e / z, 1 / z, Math.exp(0.5) / z}, w, 1e-12);

        RceTemperatureSchedule sch = new RceTemperatureSchedule(2.0, 0.5, 10);
        assertEquals(2.0, sch.at(0), EPS);
        assertEquals(1.5, sch.at(3), EPS);            // 2 − 1.5·3/9
        assertEquals(0.5, sch.at(9), EPS);
        assertEquals(0.5, sch.at(50), EPS);
        assertEquals(0.5, new RceTemperatureSchedule(2.0, 0.5, 1).at(0), EPS);
        assertEquals(2.0, RceTemperatureSchedule.defaults(5, 100).at(0), EPS);
    }

    @Test
    void groupsSkipFallbackErrorAndFailedByDefault() throws Exception {
        ObjectNode q = (ObjectNode) JsonSupport.mapper().readTree("""
                {"candidate_pool_ids": [50, 60, 70, 80],
                 "pointer_candidates": [
                   {"pointer": [0, 1], "pointer_global": [50, 60], "vqa_correct": 1, "vqa_acc_score": 1.0, "vqa_eval_mode": "vqaEval"},
                   {"pointer": [2, 3], "pointer_global": [70, 80], "vqa_correct": 1, "vqa_acc_score": 0.5, "vqa_eval_mode": "fallback"},
                   {"pointer": [1, 2], "pointer_global": [60, 70], "vqa_correct": 0, "vqa_acc_score": 0.0, "vqa_eval_mode": "error"},
                   {"pointer": [3, 0], "pointer_global": [80, 50], "vqa_correct": 0, "vqa_acc_score": 0.0, "vqa_eval_mode": "train", "eval_failed": true},
                   {"pointer": [3, 1], "pointer_global": [80, 60], "vqa_correct": 0, "vqa_acc_score": 0.0, "vqa_eval_mode": "val"}
                 ]}""");
        RlQuery query = RlQuery.parse("9", q, "t");
        RewardGroup g = RewardGroups.build(query, RewardConfig.defaults()).orElseThrow();
        assertEquals(2, g.size());
        assertArrayEquals(new double[]{2.0, 0.0}, g.rawRewards(), EPS);
        double s = Math.sqrt(2.0);                     // std of [2, 0]
        assertArrayEquals(new double[]{1 / s, -1 / s}, g.normalizedRewards(), 1e-12);
        assertArrayEquals(g.rawRewards(), g.rceRewards(), 0);      // rce_use_raw_reward on by default
        assertArrayEquals(new int[]{50, 60, 70, 80}, g.pool());
        assertArrayEquals(new int[][]{{0, 1}, {3, 1}}, g.labels());

        RewardGroup all = RewardGroups.build(query, RewardConfig.defaults().withSkipFallback(false).withRceUseRawReward(false)).orElseThrow();
        assertEquals(3, all.size());                                // fallback kept; error and eval_failed never
        assertArrayEquals(new double[]{2.0, 1.5, 0.0}, all.rawRewards(), EPS);
        assertArrayEquals(all.normalizedRewards(), all.rceRewards(), 0);

        assertTrue(RewardGroups.build(query, RewardConfig.defaults().withGenMethods(Set.of("beam"))).isEmpty());
    }

    @Test
    void globalPointerGroupsUseSortedDistinctPool() throws Exception {
        ObjectNode q = (ObjectNode) JsonSupport.mapper().readTree("""
                {"pointer_candidates": [
                   {"pointer": [900, 30], "vqa_acc_score": 0.3},
                   {"pointer": [30, 5], "vqa_acc_score": 0.0}]}""");
        RewardGroup g = RewardGroups.build(RlQuery.parse("1", q, "t"), RewardConfig.defaults()).orElseThrow();
        assertArrayEquals(new int[]{5, 30, 900}, g.pool());
        assertArrayEquals(new int[][]{{2, 1}, {1, 0}}, g.labels());
        assertArrayEquals(new double[]{0.3, 0.0}, g.rawRewards(), EPS);
        assertTrue(RewardGroups.build(RlQuery.parse("1", q, "t"), RewardConfig.defaults().withRequirePositiveQuery(true)).isEmpty());
    }
}
