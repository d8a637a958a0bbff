package org.leverplus.rlgen;

import org.bytedeco.pytorch.AutoGradMode;
import org.bytedeco.pytorch.Tensor;
import org.leverplus.selector.PointerSelector;

import java.util.ArrayList;
import java.util.List;

/**
 * Temperature sampling from the selector (spec 8.2, step 2): for each temperature, {@code perTemperature} sequences;
 * each step draws from softmax(logits / tau) with chosen and excluded positions at -1e9;
 * {@code logprob_score} = sum of log(p + 1e-8) at temperature tau. Draws come from the query's own random stream.
 */
public final class SelectorSamplingProposer implements Proposer {
    public static final List<Double> DEFAULT_TEMPERATURES = List.of(1.0, 1.3);
    public static final int DEFAULT_PER_TEMPERATURE = 2;
    private static final double FILL = -1e9;
    private final PointerSelector model;
    private final List<Double> temperatures;
    private final int perTemperature;

    public SelectorSamplingProposer(PointerSelector model, List<Double> temperatures, int perTemperature) {
        for (double tau : temperatures)
            if (!(tau > 0)) throw new IllegalArgumentException("sampling temperatures must be > 0, got " + tau);
        if (perTemperature < 0) throw new IllegalArgumentException("samples per temperature must be >= 0, got " + perTemperature);
        this.model = model;
        this.temperatures = List.copyOf(temperatures);
        this.perTemperature = perTemperature;
    }

    @Override public String name() { return "sample"; }

    @Override public List<CandidateSequence> propose(ProposalContext ctx) {
        int k = ctx.poolSize(), shots = ctx.shots();
        List<CandidateSequence> out = new ArrayList<>();
        try (AutoGradMode noGrad = new AutoGradMode(false)) {
            PointerSelector.Encoded e = SelectorStep.encode(model, ctx, 1);
            for (double tau : temperatures)
                for (int s = 0; s < perTemperature; s++) {
                    Tensor state = e.state();
                    boolean[][] chosen = new boolean[1][k];
                    int[] seq = new int[shots];
                    double total = 0;
                    for (int t = 0; t < shots; t++) {
                        double[] z = SelectorStep.logits(model, e, state, t, chosen, ctx.excluded(), FILL, FILL)[0];
                        for (int j = 0; j < k; j++) z[j] /= tau;
                        double[] ls = SelectorStep.logSoftmax(z);
                        double u = ctx.random().nextDouble(), acc = 0;
                        int pick = -1;
                        for (int j = 0; j < k; j++) {
                            if (chosen[0][j] || ctx.excluded()[j]) continue;
                            acc += Math.exp(ls[j]);
                            pick = j;
                            if (acc > u) break;
                        }
                        seq[t] = pick;
                        total += Math.log(Math.exp(ls[pick]) + 1e-8);
                        chosen[0][pick] = true;
                        if (t + 1 < shots) state = SelectorStep.next(model, e, state, new long[]{pick});
                    }
                    out.add(new CandidateSequence(seq, name(), null, null, total, tau, null));
                }
        }
        return out;
    }
}
