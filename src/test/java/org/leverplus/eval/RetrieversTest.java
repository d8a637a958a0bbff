package org.leverplus.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leverplus.data.Embeddings;
import org.leverplus.data.RlData;
import org.leverplus.data.RlDataReader;
import org.leverplus.data.RlQuery;
import org.leverplus.data.SyntheticRlData;
import org.leverplus.reward.RewardConfig;
import org.leverplus.reward.RewardGroup;
import org.leverplus.reward.RewardGroups;
import org.leverplus.selector.IcdSelector;
import org.leverplus.selector.PointerSelector;
import org.leverplus.selector.SelectorCheckpoint;
import org.leverplus.selector.SelectorConfig;
import org.leverplus.torch.TensorScope;
import org.leverplus.torch.TorchRuntime;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** MMTopK and the selector pools against a brute-force cosine ranking; mix composition; selector picks = lever selector score's. */
class RetrieversTest {
    static Embeddings random(int rows, int dim, long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] v = new float[rows * dim];
        for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
        return Embeddings.of(rows, dim, v);
    }

    /** Every row ranked by cosine with the query, computed independently (float64, sorted, ties by lower id). */
    static int[] bruteForce(Embeddings rows, float[] q, Set<Integer> exclude) {
        double qn = 0;
        for (float x : q) qn += (double) x * x;
        double[] sim = new double[rows.rows()];
        for (int i = 0; i < rows.rows(); i++) {
            float[] r = rows.row(i);
            double d = 0, rn = 0;
            for (int j = 0; j < r.length; j++) { d += (double) q[j] * r[j]; rn += (double) r[j] * r[j]; }
            sim[i] = d / Math.sqrt(rn) / Math.sqrt(qn);
        }
        List<Integer> ids = new ArrayList<>();
        for (int i = 0; i < rows.rows(); i++) if (!exclude.contains(i)) ids.add(i);
        ids.sort(Comparator.<Integer>comparingDouble(i -> -sim[i]).thenComparingInt(i -> i));
        return ids.stream().mapToInt(Integer::intValue).toArray();
    }

    @Test
    void mmTopKEqualsBruteForceCosineRankingMostSimilarLast() {
        Embeddings train = random(300, 16, 1), val = random(20, 16, 2);
        CosineIndex ix = new CosineIndex(train);
        for (int k : new int[]{1, 2, 4, 64}) {
            int[][] got = Retrievers.mmTopK(val, ix, 20, k);
            for (int q = 0; q < 20; q++) {
                int[] want = Arrays.copyOf(bruteForce(train, val.row(q), Set.of()), k);
                assertArrayEquals(Retrievers.reversed(want), got[q], "k " + k + " question " + q);
            }
        }
    }

    @Test
    void batchedFloat32SearchEqualsTheFloat64Reference() {
        Embeddings train = random(3000, 32, 11), val = random(40, 32, 12);
        CosineIndex ix = new CosineIndex(train);
        for (int chunk : new int[]{256, 1000, 3000}) {
            int[][] got = ix.topKAll(val, 40, 64, chunk);
            for (int q = 0; q < 40; q++) assertArrayEquals(ix.topK(val.row(q), 64, null), got[q], "chunk " + chunk + " question " + q);
        }
        assertArrayEquals(ix.topKAll(val, 40, 64, 256), ix.topKAll(val, 40, 64));
    }

    @Test
    void tiesGoToTheLowerIdAndScaleDoesNotMatter() {
        // rows 0, 3 and 5 point the same way as the query (5 longer), row 4 at 45 degrees, row 1 orthogonal
        Embeddings rows = Embeddings.of(6, 2, new float[]{1, 0, 0, 1, -1, 0, 1, 0, 0.5f, 0.5f, 3, 0});
        int[] top = new CosineIndex(rows).topK(new float[]{2, 0}, 4, null);
        assertArrayEquals(new int[]{0, 3, 5, 4}, top);
        assertArrayEquals(new int[]{3, 5, 4}, new CosineIndex(rows).topK(new float[]{2, 0}, 3, Set.of(0)));
        assertArrayEquals(new int[]{0, 3, 5, 4}, new CosineIndex(rows).topKAll(Embeddings.of(1, 2, new float[]{2, 0}), 1, 4)[0]);
    }

    @Test
    void mixIsHalfRandomThenImageThenTextWithoutDuplicates() {
        Embeddings ti = random(50, 8, 3), tt = random(50, 8, 4), vi = random(6, 8, 5), vt = random(6, 8, 6);
        CosineIndex ii = new CosineIndex(ti), it = new CosineIndex(tt);
        for (int k = 1; k <= 8; k++) {
            int[][] got = Retrievers.mix(vi, ii, vt, it, 6, k, 42);
            int nRand = (int) (0.5 * k), nText = (int) (0.25 * k), nImg = k - nRand - nText;
            NumpyRandomState rs = new NumpyRandomState(42);
            for (int q = 0; q < 6; q++) {
                assertEquals(k, got[q].length);
                assertEquals(k, Arrays.stream(got[q]).distinct().count(), "no duplicates");
                int[] rand = nRand > 0 ? rs.choiceWithoutReplacement(50, nRand) : new int[0];
                assertArrayEquals(rand, Arrays.copyOfRange(got[q], 0, nRand));
                Set<Integer> ex = new HashSet<>();
                for (int r : rand) ex.add(r);
                int[] img = Arrays.copyOf(bruteForce(ti, vi.row(q), ex), nImg);
                assertArrayEquals(Retrievers.reversed(img), Arrays.copyOfRange(got[q], nRand, nRand + nImg));
                for (int r : img) ex.add(r);
                int[] txt = Arrays.copyOf(bruteForce(tt, vt.row(q), ex), nText);
                assertArrayEquals(Retrievers.reversed(txt), Arrays.copyOfRange(got[q], nRand + nImg, k));
            }
        }
    }

    @Test
    void poolsAreTopKByCosineOrTheFirstK() {
        Embeddings train = random(100, 8, 7), val = random(5, 8, 8);
        int[][] top = Retrievers.pools(Retrievers.PoolSpec.parse("top-k 64"), val, new CosineIndex(train), 5);
        for (int q = 0; q < 5; q++) assertArrayEquals(Arrays.copyOf(bruteForce(train, val.row(q), Set.of()), 64), top[q]);
        int[][] first = Retrievers.pools(Retrievers.PoolSpec.parse("first-k 32"), val, new CosineIndex(train), 5);
        for (int[] p : first) assertArrayEquals(java.util.stream.IntStream.range(0, 32).toArray(), p);
        assertThrows(IllegalArgumentException.class, () -> Retrievers.PoolSpec.parse("top 3"));
        assertThrows(IllegalArgumentException.class, () -> Retrievers.pools(new Retrievers.PoolSpec(Retrievers.PoolSpec.Kind.TOP_K, 101), val, new CosineIndex(train), 5));
    }

    @Test
    void selectorPicksEqualSelectorScoreGreedySelections(@TempDir Path dir) throws Exception {
        TorchRuntime.init();
        int pool = 120, dim = 8;
        Path rl = dir.resolve("rl.json"), emb = dir.resolve("emb.safetensors"), ckpt = dir.resolve("sel.safetensors"), out = dir.resolve("scores.jsonl");
        SyntheticRlData.write(new SyntheticRlData.Spec(SyntheticRlData.Format.K64, 6, 5, pool, 3), rl, false);
        Embeddings all = random(pool, dim, 9);
        all.writeSafetensors(emb, Map.of(), false);
        try (TensorScope s = TensorScope.open(); PointerSelector m = PointerSelector.create(SelectorConfig.defaults().withSizes(dim, 6, 1), 5)) {
            SelectorCheckpoint.save(ckpt, m, Map.of());
        }
        int rc = org.leverplus.cli.LeverCli.commandLine().execute("selector", "score", "--checkpoint", ckpt.toString(), "--rl-data", rl.toString(),
                "--embeddings", emb.toString(), "--shots", "1,2,3,4", "--out", out.toString());
        assertEquals(0, rc);
        RlData data = RlDataReader.read(rl);
        List<String> lines = Files.readAllLines(out);
        try (IcdSelector sel = IcdSelector.load(ckpt)) {
            for (int i = 0; i < lines.size(); i++) {
                RlQuery q = data.queries().get(i);
                int[] p = RewardGroups.build(q, RewardConfig.defaults()).map(RewardGroup::pool).orElseGet(q::trainingPool);
                JsonNode sels = new ObjectMapper().readTree(lines.get(i)).get("selections");
                // the query's embedding is row q.index() of the same file; Retrievers.selector maps positions to ids
                Embeddings qv = Embeddings.of(1, dim, all.row(q.index()));
                for (int k = 1; k <= 4; k++) {
                    int[] got = Retrievers.selector(sel, qv, all, new int[][]{p}, Math.min(k, p.length))[0];
                    JsonNode want = sels.get(Integer.toString(k));
                    assertEquals(want.size(), got.length);
                    for (int j = 0; j < got.length; j++) assertEquals(want.get(j).asInt(), got[j], "query " + i + " shots " + k);
                }
            }
        }
    }
}
