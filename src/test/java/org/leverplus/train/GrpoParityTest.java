package org.leverplus.train;

import org.bytedeco.pytorch.AutoGradMode;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.leverplus.io.TorchZipFile;
import org.leverplus.reward.GroupNormalization;
import org.leverplus.reward.GrpoAdvantages;
import org.leverplus.reward.NormalizeMethod;
import org.leverplus.selector.PointerSelector;
import org.leverplus.selector.SelectorConfig;
import org.leverplus.selector.Tensors;
import org.leverplus.torch.TensorScope;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Step-for-step parity of GRPO with the original loop (tools/make_grpo_parity_fixture.py, PyTorch 1.13): reference
 * log-probs of the starting policy, normalised rewards → advantages, PPO clip, k3 KL, adaptive β, AdamW, clipping.
 */
class GrpoParityTest {
    @Test @SuppressWarnings("unchecked")
    void fourGrpoStepsMatchPyTorch() throws Exception {
        try (TensorScope s = TensorScope.open()) {
            Map<String, Object> fx = (Map<String, Object>) TorchZipFile.load(Path.of("src/test/resources/selector-fixtures/grpo_parity.pt"));
            Map<String, Tensor> init = new LinkedHashMap<>(), fin = new LinkedHashMap<>();
            ((Map<Object, Object>) fx.get("init")).forEach((k, v) -> init.put((String) k, (Tensor) v));
            ((Map<Object, Object>) fx.get("final")).forEach((k, v) -> fin.put((String) k, (Tensor) v));
            Tensor emb = (Tensor) fx.get("embeddings");
            List<Object> losses = (List<Object>) fx.get("losses"), betas = (List<Object>) fx.get("betas"), kls = (List<Object>) fx.get("kls");
            List<TrainGroup> groups = new ArrayList<>();
            for (Object o : (List<Object>) fx.get("groups")) {
                Map<String, Object> g = (Map<String, Object>) o;
                int[] pool = ((List<Object>) g.get("pool")).stream().mapToInt(x -> ((Number) x).intValue()).toArray();
                List<Object> lab = (List<Object>) g.get("labels");
                int[][] labels = new int[lab.size()][];
                for (int i = 0; i < labels.length; i++) labels[i] = ((List<Object>) lab.get(i)).stream().mapToInt(x -> ((Number) x).intValue()).toArray();
                double[] r = ((List<Object>) g.get("rewards")).stream().mapToDouble(x -> ((Number) x).doubleValue()).toArray();
                double[] norm = GroupNormalization.apply(r, NormalizeMethod.Z_SCORE_CLAMP, 3.0);
                groups.add(new TrainGroup("g" + groups.size(), ((Number) g.get("query")).intValue(), pool, labels, r, norm, r));
            }
            SelectorConfig cfg = SelectorConfig.defaults().withSizes(8, 6, 1).withDropout(0.0, 0.0);
            try (PointerSelector m = PointerSelector.create(cfg, 0)) {
                m.copyFrom(init);
                List<Tensor> old = new ArrayList<>();
                m.train(false);
                try (AutoGradMode ng = new AutoGradMode(false)) {
                    for (TrainGroup g : groups)
                        old.add(SelectorLosses.sequenceLogprobs(m, GroupBatch.of(List.of(g), emb), PointerSelector.DropoutSharing.PER_GROUP).clone());
                }
                AdamW opt = new AdamW(m.parameters(), 2e-3, 0.01);
                double beta = 0.1;
                for (int step = 0; step < losses.size(); step++)
                    try (TensorScope st = TensorScope.open()) {
                        TrainGroup g = groups.get(step % 2);
                        GroupBatch b = GroupBatch.of(List.of(g), emb);
                        assertEquals(((Number) betas.get(step)).doubleValue(), beta, 1e-12, "beta before step " + step);
                        SelectorLosses.Grpo gr = TrainSteps.grpo(m, opt, m.parameterVector(), b, old.get(step % 2),
                                b.perRow(x -> GrpoAdvantages.zScore(x.normalizedRewards()), 0f), 0.2, beta, false,
                                PointerSelector.DropoutSharing.PER_GROUP, 1.0);
                        double want = ((Number) losses.get(step)).doubleValue(), kl = ((Number) kls.get(step)).doubleValue();
                        assertEquals(want, gr.loss().item_double(), 1e-5 + 1e-4 * Math.abs(want), "loss of step " + step);
                        assertEquals(kl, gr.kl(), 1e-5 + 1e-4 * Math.abs(kl), "KL of step " + step);
                        beta = TrainSteps.adaptBeta(beta, gr.kl());
                    }
                assertEquals(((Number) fx.get("final_beta")).doubleValue(), beta, 1e-12);
                for (Map.Entry<String, Tensor> e : fin.entrySet()) {
                    float[] want = Tensors.toFloats(e.getValue()), got = Tensors.toFloats(m.parameters().get(e.getKey()));
                    for (int i = 0; i < want.length; i++) {
                        if (e.getKey().endsWith("in_proj_bias") && i >= 6 && i < 12) continue;  // zero-gradient key bias, see RceParityTest
                        assertEquals(want[i], got[i], 5e-5, e.getKey() + "[" + i + "]");
                    }
                }
            }
        }
    }
}
