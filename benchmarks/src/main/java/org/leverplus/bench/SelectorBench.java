package org.leverplus.bench;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.leverplus.selector.IcdSelector;
import org.leverplus.selector.PointerSelector;
import org.leverplus.selector.SelectorConfig;
import org.leverplus.torch.TensorScope;
import org.leverplus.torch.TorchRuntime;
import org.leverplus.train.AdamW;
import org.leverplus.train.GroupBatch;
import org.leverplus.train.TrainGroup;
import org.leverplus.train.TrainSteps;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Selector benchmarks (main() harness):
 * <ul>
 *   <li>{@code train}: RCE training throughput in query groups/s, the trainer's step (train mode, dropout 0.5,
 *       AdamW, clip 1.0) on synthetic groups of 20 candidates x 2 shots over a pool of 64, d 512, hidden 256, one
 *       layer, at each batch-groups value and dropout sharing;</li>
 *   <li>{@code infer}: {@link IcdSelector#select} latency (pool 64, 4 shots, one thread), p50/p99.</li>
 * </ul>
 * Args: {@code [train|infer|all] [steps]}.
 */
public final class SelectorBench {
    static final int D = 512, H = 256, POOL = 64, CANDS = 20, SHOTS = 2, ROWS = 4096;

    public static void main(String[] args) {
        TorchRuntime.init();
        String what = args.length > 0 ? args[0] : "all";
        int steps = args.length > 1 ? Integer.parseInt(args[1]) : 300;
        System.out.printf("threads=%d libtorch=%s%n", TorchRuntime.threads(), TorchRuntime.libtorchVersion());
        if (what.equals("train") || what.equals("all")) {
            for (PointerSelector.DropoutSharing sh : PointerSelector.DropoutSharing.values())
                for (int bg : new int[]{1, 32}) train(bg, sh, steps);
        }
        if (what.equals("infer") || what.equals("all")) infer(Math.max(2000, steps * 10));
    }

    static List<TrainGroup> groups(int n, Random r) {
        List<TrainGroup> out = new ArrayList<>();
        for (int g = 0; g < n; g++) {
            int[] pool = new int[POOL];
            for (int i = 0; i < POOL; i++) pool[i] = r.nextInt(ROWS);
            int[][] lab = new int[CANDS][SHOTS];
            double[] rew = new double[CANDS];
            for (int c = 0; c < CANDS; c++) {
                lab[c][0] = r.nextInt(POOL);
                do lab[c][1] = r.nextInt(POOL); while (lab[c][1] == lab[c][0]);
                rew[c] = r.nextInt(3) == 0 ? 1.0 + r.nextDouble() : 0.0;
            }
            out.add(new TrainGroup(Integer.toString(g), r.nextInt(ROWS), pool, lab, rew, rew, rew));
        }
        return out;
    }

    static void train(int batchGroups, PointerSelector.DropoutSharing sharing, int steps) {
        Random r = new Random(1);
        torch.manual_seed(1);
        Tensor emb = torch.randn(ROWS, D);
        List<TrainGroup> gs = groups(256, r);
        try (PointerSelector m = PointerSelector.create(SelectorConfig.defaults(), 1)) {
            AdamW opt = new AdamW(m.parameters(), 1e-4, 0.01);
            TensorVector params = m.parameterVector();
            int total = Math.max(steps / batchGroups, 20);
            int warm = Math.max(total / 5, 5);
            long t0 = 0;
            int groupsDone = 0;
            for (int s = 0; s < warm + total; s++) {
                if (s == warm) { t0 = System.nanoTime(); groupsDone = 0; }
                try (TensorScope scope = TensorScope.open()) {
                    List<TrainGroup> part = new ArrayList<>();
                    for (int i = 0; i < batchGroups; i++) part.add(gs.get((s * batchGroups + i) % gs.size()));
                    GroupBatch b = GroupBatch.of(part, emb);
                    TrainSteps.rce(m, opt, params, b, 1.0, sharing, 1.0);
                    groupsDone += part.size();
                }
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            System.out.printf("train batch-groups=%d dropout-sharing=%s: %.1f groups/s (%d groups in %.2f s)%n",
                    batchGroups, sharing.name().toLowerCase(), groupsDone / secs, groupsDone, secs);
        }
    }

    static void report(String what, long[] ns) {
        long[] c = ns.clone();
        Arrays.sort(c);
        System.out.printf("%s: p50 %.3f ms, p99 %.3f ms, mean %.3f ms (%d calls)%n", what,
                c[c.length / 2] / 1e6, c[(int) (c.length * 0.99)] / 1e6, Arrays.stream(c).average().orElse(0) / 1e6, c.length);
    }

    static void infer(int calls) {
        Random r = new Random(3);
        float[] q = new float[D];
        float[][] pool = new float[POOL][D];
        for (int i = 0; i < D; i++) q[i] = (float) r.nextGaussian();
        for (float[] row : pool) for (int i = 0; i < D; i++) row[i] = (float) r.nextGaussian();
        try (IcdSelector sel = IcdSelector.of(PointerSelector.create(SelectorConfig.defaults(), 1))) {
            for (int i = 0; i < 500; i++) sel.select(q, pool, 4);
            long[] ns = new long[calls];
            for (int i = 0; i < calls; i++) {
                long t = System.nanoTime();
                sel.select(q, pool, 4);
                ns[i] = System.nanoTime() - t;
            }
            report("infer select(query, pool[64][512], 4)", ns);
            // pools given as ids into a candidate bank (projections computed once)
            float[][] bank = new float[ROWS][D];
            for (float[] row : bank) for (int i = 0; i < D; i++) row[i] = (float) r.nextGaussian();
            sel.setCandidateBank(bank);
            int[][] pools = new int[64][POOL];
            for (int[] p : pools) for (int i = 0; i < POOL; i++) p[i] = r.nextInt(ROWS);
            for (int i = 0; i < 500; i++) sel.select(q, pools[i % 64], 4);
            for (int i = 0; i < calls; i++) {
                long t = System.nanoTime();
                sel.select(q, pools[i % 64], 4);
                ns[i] = System.nanoTime() - t;
            }
            report("infer select(query, poolIds[64], 4) with a " + ROWS + "-row candidate bank", ns);
        }
    }
}
