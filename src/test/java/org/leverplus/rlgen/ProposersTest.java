package org.leverplus.rlgen;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.leverplus.selector.PointerSelector;
import org.leverplus.selector.SelectorArch;
import org.leverplus.selector.SelectorConfig;
import org.leverplus.selector.SelectorDecoder;
import org.leverplus.selector.Tensors;
import org.leverplus.torch.TensorScope;
import org.leverplus.torch.TorchRuntime;

import java.util.*;

import static org.junit.jupiter.api.Assertions.*;

class ProposersTest {
    static final SelectorConfig TINY = SelectorConfig.defaults().withSizes(8, 6, 1);

    static float[][] randomRows(Random r, int n, int d) {
        float[][] x = new float[n][d];
        for (float[] row : x) for (int i = 0; i < d; i++) row[i] = (float) r.nextGaussian();
        return x;
    }

    static float[] flat(float[][] x) {
        float[] f = new float[x.length * x[0].length];
        for (int i = 0; i < x.length; i++) System.arraycopy(x[i], 0, f, i * x[0].length, x[0].length);
        return f;
    }

    /** Without exclusions the proposer's beams are the selector's own beam search: same sequences, same log-probs. */
    @Test void beamEqualsTheSelectorsBeamSearchAndItsScoring() {
        TorchRuntime.init();
        for (SelectorArch arch : SelectorArch.values())
            for (int shots = 1; shots <= 3; shots++)
                try (TensorScope s = TensorScope.open(); PointerSelector m = PointerSelector.create(TINY.withArch(arch), 3)) {
                    m.train(false);
                    Random r = new Random(7 + shots);
                    float[] q = randomRows(r, 1, 8)[0];
                    float[][] pool = randomRows(r, 9, 8);
                    ProposalContext ctx = new ProposalContext(q, pool, new boolean[9], shots, new Random(1));
                    List<CandidateSequence> mine = new SelectorBeamProposer(m, 5).propose(ctx);
                    List<SelectorDecoder.Selection> ref = SelectorDecoder.beam(m, Tensors.floats(q, 1, 8), Tensors.floats(flat(pool), 1, 9, 8), shots, 5);
                    assertEquals(ref.size(), mine.size());
                    for (int i = 0; i < ref.size(); i++) {
                        CandidateSequence c = mine.get(i);
                        assertArrayEquals(ref.get(i).positions(), c.positions(), arch + " shots " + shots + " beam " + i);
                        assertEquals(ref.get(i).logprob(), c.logprobScore(), 1e-4);
                        assertEquals(i, c.beamRank());
                        assertEquals("beam", c.method());
                        assertNull(c.temperature());
                        if (shots == 1) assertEquals(Math.exp(c.logprobScore()), c.beamScore(), 1e-9);
                        assertTrue(c.beamScore() > 0 && c.beamScore() <= shots);
                    }
                }
    }

    @Test void beamAndSamplingNeverProposeExcludedPositions() {
        TorchRuntime.init();
        try (TensorScope s = TensorScope.open(); PointerSelector m = PointerSelector.create(TINY, 4)) {
            m.train(false);
            Random r = new Random(2);
            float[] q = randomRows(r, 1, 8)[0];
            float[][] pool = randomRows(r, 6, 8);
            pool[2] = q.clone();                                     // the query itself, the selector's favourite
            boolean[] ex = new boolean[6];
            ex[2] = true;
            ProposalContext ctx = new ProposalContext(q, pool, ex, 2, new Random(3));
            List<CandidateSequence> beams = new SelectorBeamProposer(m, 5).propose(ctx);
            assertEquals(5, beams.size());
            for (int i = 0; i < beams.size(); i++) {
                assertFalse(Arrays.stream(beams.get(i).positions()).anyMatch(p -> p == 2));
                if (i > 0) assertTrue(beams.get(i - 1).logprobScore() >= beams.get(i).logprobScore());
            }
            List<CandidateSequence> samples = new SelectorSamplingProposer(m, List.of(1.0, 1.3), 50).propose(ctx);
            assertEquals(100, samples.size());
            for (CandidateSequence c : samples) {
                assertFalse(Arrays.stream(c.positions()).anyMatch(p -> p == 2));
                assertEquals(2, Arrays.stream(c.positions()).distinct().count());
            }
            assertEquals(1.0, samples.get(0).temperature());
            assertEquals(1.3, samples.get(99).temperature());
            // an excluded position at -inf leaves the others' probabilities renormalised over the allowed ones
            ProposalContext one = new ProposalContext(q, pool, ex, 1, new Random(3));
            double total = 0;
            for (CandidateSequence c : new SelectorBeamProposer(m, 6).propose(one)) total += c.beamScore();
            assertEquals(1.0, total, 1e-9);
        }
    }

    /** One-shot sampling frequencies at temperature 1 follow the step probabilities (the beam's log-probs). */
    @Test void samplingFollowsTheSoftmaxAtTheTemperature() {
        TorchRuntime.init();
        try (TensorScope s = TensorScope.open(); PointerSelector m = PointerSelector.create(TINY, 9)) {
            m.train(false);
            Random r = new Random(5);
            float[] q = randomRows(r, 1, 8)[0];
            float[][] pool = randomRows(r, 4, 8);
            ProposalContext ctx = new ProposalContext(q, pool, new boolean[4], 1, new Random(11));
            double[] p = new double[4];
            for (CandidateSequence c : new SelectorBeamProposer(m, 4).propose(ctx)) p[c.positions()[0]] = Math.exp(c.logprobScore());
            int n = 4000;
            double[] f = new double[4];
            List<CandidateSequence> draws = new SelectorSamplingProposer(m, List.of(1.0), n).propose(ctx);
            for (CandidateSequence c : draws) {
                f[c.positions()[0]] += 1.0 / n;
                assertEquals(Math.log(p[c.positions()[0]] + 1e-8), c.logprobScore(), 1e-6);
            }
            for (int j = 0; j < 4; j++) assertEquals(p[j], f[j], 4 * Math.sqrt(p[j] * (1 - p[j]) / n) + 1e-3, "position " + j);
            // the same seed gives the same draws
            List<CandidateSequence> again = new SelectorSamplingProposer(m, List.of(1.0), n).propose(new ProposalContext(q, pool, new boolean[4], 1, new Random(11)));
            assertEquals(draws, again);
        }
    }

    /** Pool built so that the similarity order is known: position j has the j-th rank in {5, 3, 0, 4, 1, 2}. */
    @Test void retrievalCombinationsByCosine() {
        float[] q = {1, 0};
        int[] rankOfPosition = {2, 4, 5, 1, 3, 0};                  // position 5 most similar, then 3, 0, 4, 1, 2
        float[][] pool = new float[6][];
        for (int j = 0; j < 6; j++) {
            double angle = 0.2 * rankOfPosition[j];
            pool[j] = new float[]{(float) (3 * Math.cos(angle)), (float) (3 * Math.sin(angle))};  // norm must not matter
        }
        List<CandidateSequence> c = new RetrievalProposer(3).propose(new ProposalContext(q, pool, new boolean[6], 2, new Random(0)));
        assertArrayEquals(new int[]{5, 3}, c.get(0).positions());   // r = 0: the two most similar
        assertArrayEquals(new int[]{3, 0}, c.get(1).positions());   // r = 1: 2nd, then 2nd of the rest (3rd)
        assertArrayEquals(new int[]{0, 4}, c.get(2).positions());   // r = 2: 3rd, then 3rd of the rest (4th)
        assertEquals((Math.cos(0) + Math.cos(0.2)) / 2, c.get(0).similarityScore(), 1e-6);
        // excluded positions are skipped; duplicates as unordered sets are dropped (n = 2 allowed: r=0 and r=2 coincide)
        boolean[] ex = {true, true, true, true, false, false};
        List<CandidateSequence> d = new RetrievalProposer(3).propose(new ProposalContext(q, pool, ex, 2, new Random(0)));
        assertEquals(1, d.size());
        assertArrayEquals(new int[]{5, 4}, d.get(0).positions());
        // three shots
        List<CandidateSequence> e = new RetrievalProposer(2).propose(new ProposalContext(q, pool, new boolean[6], 3, new Random(0)));
        assertArrayEquals(new int[]{5, 3, 0}, e.get(0).positions());
        assertArrayEquals(new int[]{3, 0, 4}, e.get(1).positions());
    }

    @Test void randomSetsAreDistinctAllowedAndSeeded() {
        float[][] pool = new float[10][2];
        boolean[] ex = new boolean[10];
        ex[0] = ex[9] = true;
        List<CandidateSequence> a = new RandomProposer(50).propose(new ProposalContext(new float[2], pool, ex, 3, ProposalContext.randomFor(42, "17")));
        List<CandidateSequence> b = new RandomProposer(50).propose(new ProposalContext(new float[2], pool, ex, 3, ProposalContext.randomFor(42, "17")));
        List<CandidateSequence> c = new RandomProposer(50).propose(new ProposalContext(new float[2], pool, ex, 3, ProposalContext.randomFor(42, "18")));
        assertEquals(a, b);
        assertNotEquals(a, c);
        Set<Integer> seen = new TreeSet<>();
        for (CandidateSequence s : a) {
            assertEquals(3, Arrays.stream(s.positions()).distinct().count());
            for (int p : s.positions()) { assertTrue(p > 0 && p < 9); seen.add(p); }
        }
        assertEquals(Set.of(1, 2, 3, 4, 5, 6, 7, 8), seen);
        assertThrows(IllegalArgumentException.class, () -> new ProposalContext(new float[2], pool, ex, 9, new Random()));
    }

    @Test void dedupKeepsTheHighestPriorityAtTheFirstPlace() {
        CandidateSequence rnd = new CandidateSequence(new int[]{1, 2}, "random", null, null, null, null, null);
        CandidateSequence smp = new CandidateSequence(new int[]{2, 1}, "sample", null, null, -1.0, 1.0, null);
        CandidateSequence ret = new CandidateSequence(new int[]{1, 2}, "retrieval", null, null, null, null, 0.5);
        CandidateSequence beam = new CandidateSequence(new int[]{2, 1}, "beam", 0, 0.9, -0.5, null, null);
        CandidateSequence other = new CandidateSequence(new int[]{3, 1}, "sample", null, null, -2.0, 1.3, null);
        CandidateSequence smp2 = new CandidateSequence(new int[]{1, 3}, "sample", null, null, -3.0, 1.0, null);
        assertEquals(List.of(beam, other), Proposals.dedup(List.of(rnd, smp, other, ret, beam, smp2)));
        assertEquals(List.of(ret), Proposals.dedup(List.of(smp, ret, rnd)));
        assertEquals(List.of(smp), Proposals.dedup(List.of(rnd, smp)));
        assertEquals(List.of(beam), Proposals.dedup(List.of(beam, ret, smp, rnd)));
    }

    @Test void parseRunsTheNamedProposersInTheCanonicalOrder() {
        Proposals p = Proposals.parse("random, retrieval", null, Proposals.Settings.defaults());
        assertEquals(List.of("retrieval", "random"), p.proposers().stream().map(Proposer::name).toList());
        assertThrows(IllegalArgumentException.class, () -> Proposals.parse("beam", null, Proposals.Settings.defaults()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Proposals.parse("retrieval,nearest", null, Proposals.Settings.defaults()));
        assertTrue(e.getMessage().contains("nearest"));
        // full default set: 5 beams + 4 samples + 3 retrieval + 2 random before dedup
        TorchRuntime.init();
        try (TensorScope s = TensorScope.open(); PointerSelector m = PointerSelector.create(TINY, 1)) {
            m.train(false);
            Random r = new Random(8);
            ProposalContext ctx = new ProposalContext(randomRows(r, 1, 8)[0], randomRows(r, 64, 8), new boolean[64], 2, new Random(4));
            Proposals all = Proposals.parse("beam,sample,retrieval,random", m, Proposals.Settings.defaults());
            List<CandidateSequence> out = all.propose(ctx);
            assertTrue(out.size() >= 5 && out.size() <= 14, "got " + out.size());
            assertEquals(out.size(), out.stream().map(c -> Arrays.toString(c.sortedKey())).distinct().count());
            assertEquals(out, all.propose(new ProposalContext(ctx.query(), ctx.pool(), ctx.excluded(), 2, new Random(4))));
        }
    }
}
