package org.leverplus.train;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.leverplus.reward.GrpoAdvantages;
import org.leverplus.reward.RceWeights;
import org.leverplus.selector.OriginalReferenceAccess;
import org.leverplus.selector.PointerSelector;
import org.leverplus.selector.SelectorConfig;
import org.leverplus.selector.Tensors;
import org.leverplus.torch.TensorScope;

import java.util.*;

import static org.junit.jupiter.api.Assertions.*;

/** Losses against LibTorch autograd composites of the original's formulas, gradient checks, RCE/GRPO behaviour. */
class LossesTest {
    static final int D = 8, ROWS = 30;
    static final SelectorConfig TINY = SelectorConfig.defaults().withSizes(D, 6, 1).withDropout(0.0, 0.0);

    static TrainGroup group(String key, int q, int k, int n, Random r, boolean equalRewards) {
        int[] pool = new int[k];
        for (int i = 0; i < k; i++) pool[i] = r.nextInt(ROWS);
        int[][] lab = new int[n][2];
        double[] rew = new double[n];
        for (int i = 0; i < n; i++) {
            lab[i][0] = r.nextInt(k);
            do lab[i][1] = r.nextInt(k); while (lab[i][1] == lab[i][0]);
            rew[i] = equalRewards ? 1.0 : r.nextInt(3) == 0 ? 1 + r.nextDouble() : 0;
        }
        return new TrainGroup(key, q, pool, lab, rew, rew, rew);
    }

    /** Reference: Σ_i w_i · (−Σ_t log_softmax(original logits)) for one group, as a differentiable tensor. */
    static Tensor referenceRce(PointerSelector m, Tensor emb, TrainGroup g, double tau) {
        int k = g.pool().length, n = g.size();
        long[] pool = Arrays.stream(g.pool()).asLongStream().toArray();
        Tensor q = emb.select(0, g.queryIndex()).unsqueeze(0).expand(n, D);
        Tensor c = emb.index_select(0, Tensors.longs(pool, k)).unsqueeze(0).expand(n, k, D);
        long[][] lab = new long[n][];
        for (int i = 0; i < n; i++) lab[i] = new long[]{g.labels()[i][0], g.labels()[i][1]};
        Tensor lp = OriginalReferenceAccess.sequenceLogprobs(m, q, c, lab);
        double[] w = RceWeights.softmax(g.rceRewards(), tau);
        float[] wf = new float[n];
        for (int i = 0; i < n; i++) wf[i] = (float) w[i];
        return Tensors.floats(wf, n).mul(lp).sum().neg();
    }

    static Map<String, float[]> grads(PointerSelector m) {
        Map<String, float[]> g = new LinkedHashMap<>();
        for (var e : m.parameters().entrySet()) {
            Tensor gr = e.getValue().grad();
            g.put(e.getKey(), gr.defined() ? Tensors.toFloats(gr) : new float[(int) e.getValue().numel()]);
            if (gr.defined()) gr.zero_();
        }
        return g;
    }

    static void assertClose(Map<String, float[]> a, Map<String, float[]> b) {
        for (String k : a.keySet()) {
            float[] x = a.get(k), y = b.get(k);
            double scale = 1e-3;
            for (float v : y) scale = Math.max(scale, Math.abs(v));
            for (int i = 0; i < x.length; i++) assertEquals(y[i], x[i], 3e-4 * scale + 1e-6, k + "[" + i + "]");
        }
    }

    @Test void rceLossAndGradientsOfPaddedBatchMatchTheComposite() {
        try (TensorScope s = TensorScope.open(); PointerSelector m = PointerSelector.create(TINY, 5)) {
            m.train(false);
            torch.manual_seed(1);
            Tensor emb = torch.randn(ROWS, D);
            Random r = new Random(2);
            List<TrainGroup> gs = List.of(group("a", 1, 7, 5, r, false), group("b", 2, 4, 3, r, false), group("c", 3, 6, 6, r, false));
            GroupBatch b = GroupBatch.of(gs, emb);
            Tensor loss = SelectorLosses.rce(m, b, SelectorLosses.rceWeights(b, 0.7, false), PointerSelector.DropoutSharing.PER_GROUP);
            loss.backward();
            Map<String, float[]> got = grads(m);
            Tensor ref = referenceRce(m, emb, gs.get(0), 0.7).add(referenceRce(m, emb, gs.get(1), 0.7)).add(referenceRce(m, emb, gs.get(2), 0.7))
                    .div(new Scalar(3.0));
            assertEquals(ref.item_double(), loss.item_double(), 1e-4 * Math.abs(ref.item_double()));
            ref.backward();
            assertClose(got, grads(m));
        }
    }

    @Test void grpoWithIdenticalRewardsHasZeroAdvantageAndNoPolicyGradient() {
        assertArrayEquals(new double[]{0, 0, 0, 0}, GrpoAdvantages.zScore(new double[]{1.5, 1.5, 1.5, 1.5}), 0.0);
        try (TensorScope s = TensorScope.open(); PointerSelector m = PointerSelector.create(TINY, 5)) {
            m.train(false);
            torch.manual_seed(1);
            Tensor emb = torch.randn(ROWS, D);
            GroupBatch b = GroupBatch.of(List.of(group("a", 1, 7, 5, new Random(3), true)), emb);
            Tensor old;
            try (org.bytedeco.pytorch.AutoGradMode ng = new org.bytedeco.pytorch.AutoGradMode(false)) {
                old = SelectorLosses.sequenceLogprobs(m, b, PointerSelector.DropoutSharing.PER_GROUP).clone();
            }
            Tensor adv = b.perRow(g -> GrpoAdvantages.zScore(g.normalizedRewards()), 0f);
            SelectorLosses.Grpo gr = SelectorLosses.grpo(m, b, old, adv, b.validMask(), 0.2, 0.1, false, PointerSelector.DropoutSharing.PER_GROUP);
            assertEquals(0.0, gr.ppo(), 1e-7);
            assertEquals(0.0, gr.kl(), 1e-7);
            assertEquals(1.0, gr.ratioMean(), 1e-6);
            gr.loss().backward();
            for (float[] g : grads(m).values()) for (float v : g) assertEquals(0f, v, 1e-6f);
        }
    }

    @Test void grpoLossMatchesTheFormula() {
        try (TensorScope s = TensorScope.open(); PointerSelector m = PointerSelector.create(TINY, 6)) {
            m.train(false);
            torch.manual_seed(4);
            Tensor emb = torch.randn(ROWS, D);
            TrainGroup g = group("a", 1, 7, 5, new Random(8), false);
            GroupBatch b = GroupBatch.of(List.of(g), emb);
            float[] newLp = Tensors.toFloats(SelectorLosses.sequenceLogprobs(m, b, PointerSelector.DropoutSharing.PER_GROUP));
            double[] old = {newLp[0] + 0.5, newLp[1] - 0.1, newLp[2] + 0.05, newLp[3] - 0.7, newLp[4]};
            double[] a = GrpoAdvantages.zScore(g.normalizedRewards());
            double eps = 0.2, beta = 0.3, ppo = 0, kl = 0;
            for (int i = 0; i < 5; i++) {
                double rho = Math.exp(newLp[i] - old[i]);
                ppo -= Math.min(rho * a[i], Math.max(1 - eps, Math.min(1 + eps, rho)) * a[i]) / 5;
                kl += (rho - 1 - (newLp[i] - old[i])) / 5;
            }
            float[] of = new float[5];
            for (int i = 0; i < 5; i++) of[i] = (float) old[i];
            SelectorLosses.Grpo gr = SelectorLosses.grpo(m, b, Tensors.floats(of, 1, 5), b.perRow(x -> a, 0f), b.validMask(), eps, beta, false,
                    PointerSelector.DropoutSharing.PER_GROUP);
            assertEquals(ppo, gr.ppo(), 1e-5);
            assertEquals(kl, gr.kl(), 1e-5);
            assertEquals(ppo + beta * kl, gr.loss().item_double(), 1e-5);
        }
    }

    @Test void sftLabelSmoothingMatchesTheCrossEntropyComposite() {
        try (TensorScope s = TensorScope.open(); PointerSelector m = PointerSelector.create(TINY, 7)) {
            m.train(false);
            torch.manual_seed(5);
            Tensor emb = torch.randn(ROWS, D);
            TrainGroup g = group("a", 1, 6, 4, new Random(9), false);
            GroupBatch b = GroupBatch.of(List.of(g), emb);
            double eps = 0.1;
            double got = SelectorLosses.sft(m, b, eps, PointerSelector.DropoutSharing.PER_GROUP).item_double();
            long[][] lab = new long[4][];
            for (int i = 0; i < 4; i++) lab[i] = new long[]{g.labels()[i][0], g.labels()[i][1]};
            long[] pool = Arrays.stream(g.pool()).asLongStream().toArray();
            float[] z = Tensors.toFloats(OriginalReferenceAccess.logits(m, emb.select(0, 1).unsqueeze(0).expand(4, D),
                    emb.index_select(0, Tensors.longs(pool, 6)).unsqueeze(0).expand(4, 6, D), lab));
            double sum = 0;
            for (int i = 0; i < 4; i++)
                for (int t = 0; t < 2; t++) {
                    double max = -1e30, lse = 0;
                    for (int j = 0; j < 6; j++) max = Math.max(max, z[(i * 2 + t) * 6 + j]);
                    for (int j = 0; j < 6; j++) lse += Math.exp(z[(i * 2 + t) * 6 + j] - max);
                    lse = Math.log(lse) + max;
                    double nll = lse - z[(i * 2 + t) * 6 + (int) lab[i][t]], smooth = 0;
                    for (int j = 0; j < 6; j++) smooth += (lse - z[(i * 2 + t) * 6 + j]) / 6;
                    sum += (1 - eps) * nll + eps * smooth;     // F.cross_entropy(label_smoothing=eps)
                }
            assertEquals(sum / 8, got, 1e-3 * Math.abs(sum / 8));
        }
    }

    @Test void rceRaisesTheProbabilityOfTheHighestRewardSequences() {
        try (TensorScope s0 = TensorScope.open(); PointerSelector m = PointerSelector.create(TINY, 11)) {
            torch.manual_seed(6);
            Tensor emb = torch.randn(ROWS, D);
            Random r = new Random(12);
            List<TrainGroup> gs = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                TrainGroup g = group("g" + i, i, 8, 6, r, false);
                double[] rew = new double[6];
                rew[r.nextInt(6)] = 2.0;                          // one clearly best sequence per group
                gs.add(new TrainGroup(g.key(), g.queryIndex(), g.pool(), g.labels(), rew, rew, rew));
            }
            double[] before = bestLogprob(m, emb, gs);
            AdamW opt = new AdamW(m.parameters(), 1e-2, 0.01);
            for (int step = 0; step < 40; step++)
                try (TensorScope s = TensorScope.open()) {
                    TrainSteps.rce(m, opt, m.parameterVector(), GroupBatch.of(List.of(gs.get(step % gs.size())), emb), 0.5,
                            PointerSelector.DropoutSharing.PER_GROUP, 1.0);
                }
            double[] after = bestLogprob(m, emb, gs);
            for (int i = 0; i < gs.size(); i++) assertTrue(after[i] > before[i] + 0.1, "group " + i + ": " + before[i] + " -> " + after[i]);
        }
    }

    static double[] bestLogprob(PointerSelector m, Tensor emb, List<TrainGroup> gs) {
        m.train(false);
        double[] out = new double[gs.size()];
        try (org.bytedeco.pytorch.AutoGradMode ng = new org.bytedeco.pytorch.AutoGradMode(false)) {
            for (int i = 0; i < gs.size(); i++) {
                TrainGroup g = gs.get(i);
                float[] lp = Tensors.toFloats(SelectorLosses.sequenceLogprobs(m, GroupBatch.of(List.of(g), emb), PointerSelector.DropoutSharing.PER_GROUP));
                int best = 0;
                for (int j = 1; j < g.size(); j++) if (g.rawRewards()[j] > g.rawRewards()[best]) best = j;
                out[i] = lp[best];
            }
        }
        return out;
    }

    @Test void adamwMatchesLibTorchAdamW() {
        try (TensorScope s = TensorScope.open()) {
            torch.manual_seed(3);
            Tensor a = torch.randn(4, 3).requires_grad_(true), b = torch.randn(4, 3).detach().clone().requires_grad_(true);
            b.detach().copy_(a.detach());
            Tensor w = torch.randn(4, 3);
            AdamW mine = new AdamW(Map.of("p", a), 1e-2, 0.01);
            org.bytedeco.pytorch.AdamWOptions o = new org.bytedeco.pytorch.AdamWOptions(1e-2);
            o.weight_decay().put(0.01);
            org.bytedeco.pytorch.AdamW ref = new org.bytedeco.pytorch.AdamW(new org.bytedeco.pytorch.TensorVector(b), o);
            for (int i = 0; i < 5; i++) {
                mine.zeroGrad();
                ref.zero_grad();
                a.mul(w).pow(new Scalar(2)).sum().backward();
                b.mul(w).pow(new Scalar(2)).sum().backward();
                mine.step();
                ref.step();
            }
            assertArrayEquals(Tensors.toFloats(b), Tensors.toFloats(a), 1e-6f);
        }
    }
}
