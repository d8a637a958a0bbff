package org.leverplus.selector;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leverplus.io.Safetensors;
import org.leverplus.torch.TensorScope;

import java.nio.file.Path;
import java.util.*;

import static org.junit.jupiter.api.Assertions.*;

class DecodingAndCheckpointTest {
    static final SelectorConfig TINY = SelectorConfig.defaults().withSizes(8, 6, 1);

    /** Brute force over all ordered sequences: greedy = stepwise argmax, beam(width = all) finds the best sequence. */
    @Test void greedyAndBeamAgreeWithBruteForce() {
        for (SelectorArch arch : SelectorArch.values())
            try (TensorScope s = TensorScope.open(); PointerSelector m = PointerSelector.create(TINY.withArch(arch), 11)) {
                m.train(false);
                torch.manual_seed(5);
                Tensor q = torch.randn(1, 8), pool = torch.randn(1, 5, 8);
                int k = 5, shots = 3;
                List<long[]> all = new ArrayList<>();
                for (int a = 0; a < k; a++) for (int b = 0; b < k; b++) for (int c = 0; c < k; c++)
                    if (a != b && b != c && a != c) all.add(new long[]{a, b, c});
                long[][] lab = all.toArray(new long[0][]);
                float[] lp = Tensors.toFloats(OriginalReference.sequenceLogprobs(OriginalReference.logits(m,
                        q.expand(lab.length, 8), pool.expand(lab.length, k, 8), lab), lab));
                int best = 0;
                for (int i = 1; i < lp.length; i++) if (lp[i] > lp[best]) best = i;
                List<SelectorDecoder.Selection> beams = SelectorDecoder.beam(m, q, pool, shots, 60);
                assertArrayEquals(toInt(lab[best]), beams.get(0).positions(), arch.id);
                assertEquals(lp[best], beams.get(0).logprob(), 1e-4);
                // greedy: each step's argmax, checked against the reference logits step by step
                SelectorDecoder.Selection g = SelectorDecoder.greedy(m, q, pool, shots);
                long[][] gl = {{g.positions()[0], g.positions()[1], g.positions()[2]}};
                float[] z = Tensors.toFloats(OriginalReference.logits(m, q, pool, gl));
                for (int t = 0; t < shots; t++) {
                    int arg = 0;
                    for (int j = 1; j < k; j++) if (z[t * k + j] > z[t * k + arg]) arg = j;
                    assertEquals(arg, g.positions()[t], arch.id + " step " + t);
                }
                // any number of shots up to the pool size, all distinct
                int[] five = SelectorDecoder.greedy(m, q, pool, 5).positions();
                assertEquals(5, Arrays.stream(five).distinct().count());
                assertThrows(IllegalArgumentException.class, () -> SelectorDecoder.greedy(m, q, pool, 6));
                int[] sampled = SelectorDecoder.sample(m, q, pool, 4, 1.0, new Random(1)).positions();
                assertEquals(4, Arrays.stream(sampled).distinct().count());
            }
    }

    @Test void inferenceFastPathEqualsTheGenericGreedyDecoder() {
        for (SelectorConfig c : List.of(TINY, TINY.withSizes(8, 8, 0), TINY.withSizes(8, 6, 2), TINY.withArch(SelectorArch.V4_5_ADDITIVE)))
            for (long seed = 0; seed < 4; seed++)
                try (TensorScope s = TensorScope.open(); PointerSelector m = PointerSelector.create(c, seed)) {
                    m.train(false);
                    torch.manual_seed(seed + 100);
                    Tensor q = torch.randn(1, 8), pool = torch.randn(1, 9, 8);
                    for (int shots = 1; shots <= 9; shots += 4) {
                        int[] fast;
                        try (org.bytedeco.pytorch.AutoGradMode ng = new org.bytedeco.pytorch.AutoGradMode(false)) {
                            fast = m.greedyInference(q.squeeze(0), pool.squeeze(0), shots);
                        }
                        assertArrayEquals(SelectorDecoder.greedy(m, q, pool, shots).positions(), fast, c + " seed " + seed + " shots " + shots);
                        try (org.bytedeco.pytorch.AutoGradMode ng = new org.bytedeco.pytorch.AutoGradMode(false)) {
                            int[] banked = m.greedyInference(q.squeeze(0), pool.squeeze(0), m.projectCandidates(pool.squeeze(0)), shots);
                            assertArrayEquals(fast, banked, "projected pool " + c);
                        }
                    }
                }
    }

    private static int[] toInt(long[] a) { int[] o = new int[a.length]; for (int i = 0; i < a.length; i++) o[i] = (int) a[i]; return o; }

    @Test void checkpointRoundTripAndIcdSelector(@TempDir Path dir) throws Exception {
        Path f = dir.resolve("m.safetensors");
        float[] q = new float[8];
        float[][] pool = new float[7][8];
        Random r = new Random(2);
        for (int i = 0; i < 8; i++) q[i] = (float) r.nextGaussian();
        for (float[] row : pool) for (int i = 0; i < 8; i++) row[i] = (float) r.nextGaussian();
        int[] expected;
        try (PointerSelector m = PointerSelector.create(TINY.withArch(SelectorArch.V4_5_ADDITIVE), 3)) {
            SelectorCheckpoint.save(f, m, Map.of("phase", "rce", "epoch", "2"));
            try (IcdSelector sel = IcdSelector.of(PointerSelector.create(TINY.withArch(SelectorArch.V4_5_ADDITIVE), 3))) {
                expected = sel.select(q, pool, 4);
            }
        }
        try (SelectorCheckpoint.Loaded l = SelectorCheckpoint.load(f, SelectorCheckpoint.LoadOptions.strict())) {
            assertEquals(SelectorArch.V4_5_ADDITIVE, l.model().config().arch());
            assertEquals("rce", l.metadata().get("phase"));
            assertTrue(l.match().ok());
        }
        try (IcdSelector sel = IcdSelector.load(f)) {
            assertArrayEquals(expected, sel.select(q, pool, 4));
            // a candidate bank: pools given as row ids select the same as the rows themselves
            float[][] bank = new float[20][8];
            for (float[] row : bank) for (int i = 0; i < 8; i++) row[i] = (float) r.nextGaussian();
            int[] ids = {17, 3, 9, 0, 12, 5, 8};
            float[][] rows = new float[ids.length][];
            for (int i = 0; i < ids.length; i++) rows[i] = bank[ids[i]];
            assertThrows(IllegalStateException.class, () -> sel.select(q, ids, 4));
            sel.setCandidateBank(bank);
            assertArrayEquals(sel.select(q, rows, 4), sel.select(q, ids, 4));
            assertThrows(IllegalArgumentException.class, () -> sel.select(q, new int[]{20}, 1));
            // concurrent use gives the same answer
            List<Thread> ts = new ArrayList<>();
            List<int[]> results = Collections.synchronizedList(new ArrayList<>());
            for (int i = 0; i < 4; i++) {
                Thread t = new Thread(() -> { for (int j = 0; j < 20; j++) results.add(sel.select(q, pool, 4)); });
                ts.add(t); t.start();
            }
            for (Thread t : ts) t.join();
            assertEquals(80, results.size());
            for (int[] x : results) assertArrayEquals(expected, x);
        }
    }

    @Test void everyMismatchKindIsNamed(@TempDir Path dir) throws Exception {
        try (TensorScope s = TensorScope.open(); PointerSelector m = PointerSelector.create(TINY, 3)) {
            Map<String, Tensor> base = new LinkedHashMap<>();
            for (var e : m.parameters().entrySet()) base.put(e.getKey(), e.getValue().detach());
            Map<String, String> meta = TINY.toMetadata();

            Map<String, Tensor> missing = new LinkedHashMap<>(base);
            missing.remove("query_update_gate.bias");
            assertMismatch(dir, "missing", missing, meta, "query_update_gate.bias");

            Map<String, Tensor> unexpected = new LinkedHashMap<>(base);
            unexpected.put("sen_model.extra", torch.zeros(2));
            assertMismatch(dir, "unexpected", unexpected, meta, "sen_model.extra");

            Map<String, Tensor> shape = new LinkedHashMap<>(base);
            shape.put("cand_proj.weight", torch.zeros(6, 5));
            assertMismatch(dir, "shape", shape, meta, "cand_proj.weight");

            Map<String, Tensor> dtype = new LinkedHashMap<>(base);
            dtype.put("attn_norms.0.weight", torch.ones(6).to(org.bytedeco.pytorch.global.torch.ScalarType.Double));
            assertMismatch(dir, "dtype", dtype, meta, "attn_norms.0.weight");

            // deliberate partial loads: patterns make them pass and are reported
            Path p = dir.resolve("partial.safetensors");
            Map<String, Tensor> partial = new LinkedHashMap<>(base);
            partial.remove("query_update_gate.weight");
            partial.remove("query_update_gate.bias");
            partial.put("sen_model.x", torch.zeros(1));
            Safetensors.write(p, partial, meta);
            try (SelectorCheckpoint.Loaded l = SelectorCheckpoint.load(p, new SelectorCheckpoint.LoadOptions(null,
                    List.of("query_update_gate.*"), List.of("sen_model.*")))) {
                assertEquals(List.of("query_update_gate.weight", "query_update_gate.bias"), l.match().allowedMissing());
                assertEquals(List.of("sen_model.x"), l.match().ignoredUnexpected());
                assertTrue(l.match().report().contains("left at initialisation"));
            }
        }
    }

    private static void assertMismatch(Path dir, String kind, Map<String, Tensor> t, Map<String, String> meta, String key) throws Exception {
        Path p = dir.resolve(kind + ".safetensors");
        Safetensors.write(p, t, meta);
        ParameterMatch pm = SelectorCheckpoint.check(p, null, List.of(), List.of());
        assertFalse(pm.ok(), kind);
        assertTrue(pm.report().contains(key), pm.report());
        IllegalStateException ex = assertThrows(IllegalStateException.class, () -> SelectorCheckpoint.load(p, SelectorCheckpoint.LoadOptions.strict()));
        assertTrue(ex.getMessage().contains(key) && ex.getMessage().contains(kind), ex.getMessage());
    }
}
