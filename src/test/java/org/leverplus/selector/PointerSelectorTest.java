package org.leverplus.selector;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.leverplus.torch.TensorScope;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.*;

class PointerSelectorTest {
    static final SelectorConfig TINY = SelectorConfig.defaults().withSizes(8, 6, 1).withDropout(0.5, 0.1);

    @Test void parameterNamesMatchTheOriginalStateDict() {
        try (PointerSelector m = PointerSelector.create(TINY, 1)) {
            assertEquals(new TreeSet<>(List.of("input_proj.weight", "cross_attn_layers.0.in_proj_weight",
                    "cross_attn_layers.0.in_proj_bias", "cross_attn_layers.0.out_proj.weight", "cross_attn_layers.0.out_proj.bias",
                    "attn_norms.0.weight", "attn_norms.0.bias", "query_proj.weight", "cand_proj.weight",
                    "query_update_gate.weight", "query_update_gate.bias")), new TreeSet<>(m.parameters().keySet()));
            assertArrayEquals(new long[]{18, 6}, Tensors.shape(m.parameters().get("cross_attn_layers.0.in_proj_weight")));
            assertArrayEquals(new long[]{6, 12}, Tensors.shape(m.parameters().get("query_update_gate.weight")));
            assertArrayEquals(new long[]{6}, Tensors.shape(m.parameters().get("attn_norms.0.weight")));
            // query_proj = I + N(0, 0.01^2): close to the identity
            float[] w = Tensors.toFloats(m.parameters().get("query_proj.weight"));
            for (int i = 0; i < 6; i++) for (int j = 0; j < 6; j++) assertEquals(i == j ? 1 : 0, w[i * 6 + j], 0.06);
        }
        try (PointerSelector m = PointerSelector.create(TINY.withArch(SelectorArch.V4_5_ADDITIVE).withSizes(8, 6, 2), 1)) {
            Set<String> names = m.parameters().keySet();
            for (String n : List.of("decoder_gru.weight_ih", "decoder_gru.weight_hh", "decoder_gru.bias_ih", "decoder_gru.bias_hh",
                    "step_emb.weight", "attn_Wq.weight", "attn_Wq.bias", "attn_Wc.weight", "attn_v.weight",
                    "cross_attn_layers.1.in_proj_weight", "attn_norms.1.bias"))
                assertTrue(names.contains(n), n + " in " + names);
            assertFalse(names.contains("query_update_gate.weight"));
            assertFalse(names.contains("attn_Wc.bias"));
        }
    }

    @Test void teacherForcedLogprobsMatchTheOriginalForwardV3() { compareWithOriginal(TINY); }

    @Test void teacherForcedLogprobsMatchTheOriginalForwardV45() { compareWithOriginal(TINY.withArch(SelectorArch.V4_5_ADDITIVE).withSizes(8, 6, 2)); }

    @Test void teacherForcedLogprobsMatchWithoutInputProjection() { compareWithOriginal(TINY.withSizes(6, 6, 0)); }

    /** Two groups (pool 5 and 3, padded to 5), three label sequences each, three steps; values and gradients. */
    private static void compareWithOriginal(SelectorConfig cfg) {
        try (TensorScope s = TensorScope.open(); PointerSelector m = PointerSelector.create(cfg, 7)) {
            m.train(false);
            torch.manual_seed(3);
            int d = cfg.dModel(), k = 5, n = 3, steps = 3;
            Tensor q = torch.randn(2, d);
            Tensor c = torch.randn(2, k, d);
            long[][] lab = {{0, 1, 2}, {4, 3, 0}, {2, 0, 1}, {1, 2, 0}, {2, 1, 0}, {0, 2, 1}};
            boolean[] pad = {false, false, false, false, false, false, false, false, true, true};
            long[] flat = new long[lab.length * steps];
            for (int i = 0; i < lab.length; i++) System.arraycopy(lab[i], 0, flat, i * steps, steps);
            PointerSelector.Encoded e = m.encode(q, c, Tensors.bools(pad, 2, k), n, PointerSelector.DropoutSharing.PER_SEQUENCE);
            Tensor lp = m.teacherForcedLogprobs(e, Tensors.longs(flat, lab.length, steps)).sum(new long[]{1}, false, new org.bytedeco.pytorch.ScalarTypeOptional());
            Tensor weights = Tensors.floats(new float[]{0.3f, -1.2f, 0.7f, 1.1f, 0.2f, -0.4f}, 6);
            lp.mul(weights).sum().backward();
            Map<String, float[]> gradKernel = grads(m);

            // reference: group 0 rows see pool 5; group 1 rows see only the 3 real candidates
            Tensor ref0 = OriginalReference.sequenceLogprobs(OriginalReference.logits(m,
                    q.narrow(0, 0, 1).expand(3, d), c.narrow(0, 0, 1).expand(3, k, d), new long[][]{lab[0], lab[1], lab[2]}),
                    new long[][]{lab[0], lab[1], lab[2]});
            Tensor ref1 = OriginalReference.sequenceLogprobs(OriginalReference.logits(m,
                    q.narrow(0, 1, 1).expand(3, d), c.narrow(0, 1, 1).narrow(1, 0, 3).expand(3, 3, d), new long[][]{lab[3], lab[4], lab[5]}),
                    new long[][]{lab[3], lab[4], lab[5]});
            Tensor ref = torch.cat(new org.bytedeco.pytorch.TensorVector(ref0, ref1), 0);
            float[] a = Tensors.toFloats(lp), b = Tensors.toFloats(ref);
            for (int i = 0; i < a.length; i++) assertEquals(b[i], a[i], 2e-4, "row " + i);
            for (Tensor p : m.parameters().values()) if (p.grad().defined()) p.grad().zero_();
            ref.mul(weights).sum().backward();
            Map<String, float[]> gradRef = grads(m);
            for (String name : gradRef.keySet()) {
                float[] x = gradKernel.get(name), y = gradRef.get(name);
                double scale = 1e-3;
                for (float v : y) scale = Math.max(scale, Math.abs(v));
                for (int i = 0; i < x.length; i++) assertEquals(y[i], x[i], 2e-4 * scale + 1e-5, name + "[" + i + "]");
            }
        }
    }

    private static Map<String, float[]> grads(PointerSelector m) {
        Map<String, float[]> g = new java.util.LinkedHashMap<>();
        for (Map.Entry<String, Tensor> e : m.parameters().entrySet()) {
            Tensor gr = e.getValue().grad();
            g.put(e.getKey(), gr.defined() ? Tensors.toFloats(gr) : new float[(int) e.getValue().numel()]);
        }
        return g;
    }

    @Test void perSequenceDropoutDrawsIndependentMasksAndEvalIsDeterministic() {
        try (TensorScope s = TensorScope.open(); PointerSelector m = PointerSelector.create(TINY, 7)) {
            Tensor q = torch.randn(1, 8), c = torch.randn(1, 4, 8);
            long[] lab = {0, 1, 0, 1};
            m.train(true);
            PointerSelector.Encoded e = m.encode(q, c, null, 2, PointerSelector.DropoutSharing.PER_SEQUENCE);
            float[] lp = Tensors.toFloats(m.teacherForcedLogprobs(e, Tensors.longs(lab, 2, 2)));
            assertNotEquals(lp[0] + lp[1], lp[2] + lp[3], 1e-6, "identical label rows must see different dropout masks");
            m.train(false);
            e = m.encode(q, c, null, 2, PointerSelector.DropoutSharing.PER_SEQUENCE);
            lp = Tensors.toFloats(m.teacherForcedLogprobs(e, Tensors.longs(lab, 2, 2)));
            assertEquals(lp[0] + lp[1], lp[2] + lp[3], 1e-6);
        }
    }
}
