package org.leverplus.selector;

import com.fasterxml.jackson.core.JsonGenerator;
import org.bytedeco.pytorch.AutoGradMode;
import org.bytedeco.pytorch.Tensor;
import org.leverplus.data.RlData;
import org.leverplus.data.RlDataReader;
import org.leverplus.data.RlQuery;
import org.leverplus.io.AtomicOutput;
import org.leverplus.io.JsonSupport;
import org.leverplus.reward.RceWeights;
import org.leverplus.reward.RewardConfig;
import org.leverplus.reward.RewardGroup;
import org.leverplus.reward.RewardGroups;
import org.leverplus.torch.TensorScope;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * {@code lever selector score}: for every query of an RL file (file order), the eval-mode selector's teacher-forced
 * sequence log-probability of every candidate (null for candidates training skips), the query's RCE loss at
 * temperature 1 with raw rewards over the candidates training uses, and greedy selections (global ids) for each
 * requested shot count from the query's own candidate pool (at most the pool size). One JSON object per line, so
 * that numbers can be compared line by line with another implementation.
 */
public final class SelectorScoring {
    private SelectorScoring() {}

    /** Writes the report; returns the mean RCE loss over queries that have a training group. */
    public static double score(PointerSelector model, Path rlData, Tensor embeddings, int[] shots, RewardConfig reward,
                               Path out, boolean overwrite) throws IOException {
        model.train(false);
        RlData data = RlDataReader.read(rlData);
        double sum = 0;
        int count = 0;
        try (AtomicOutput ao = AtomicOutput.create(out, overwrite)) {
            JsonGenerator g = JsonSupport.compactGenerator(ao.stream());
            g.setRootValueSeparator(null);
            for (RlQuery q : data.queries()) {
                try (TensorScope s = TensorScope.open(); AutoGradMode noGrad = new AutoGradMode(false)) {
                    Optional<RewardGroup> grp;
                    try {
                        grp = RewardGroups.build(q, reward);
                    } catch (IllegalArgumentException e) {
                        throw new IllegalArgumentException(rlData + ": " + e.getMessage(), e);
                    }
                    int[] pool = grp.map(RewardGroup::pool).orElseGet(q::trainingPool);
                    checkIds(rlData, q, pool, grp.map(RewardGroup::labels).orElse(new int[0][]), embeddings.size(0));
                    g.writeStartObject();
                    g.writeStringField("query", q.key());
                    g.writeArrayFieldStart("logprobs");
                    Double rce = null;
                    if (grp.isPresent()) {
                        RewardGroup rg = grp.get();
                        double[] lp = sequenceLogprobs(model, embeddings, q.index(), pool, rg.labels());
                        for (int i = 0; i < lp.length; i++)
                            if (!Double.isFinite(lp[i]))
                                throw new IllegalArgumentException(rlData + ": query \"" + q.key() + "\": candidate " + i
                                        + " has log-probability " + lp[i] + " (non-finite selector output; the output would not be valid JSON)");
                        List<?> kept = rg.candidates();
                        int j = 0;
                        for (Object c : q.candidates()) {
                            if (j < kept.size() && kept.get(j) == c) g.writeNumber(lp[j++]);
                            else g.writeNull();
                        }
                        double[] w = RceWeights.softmax(rg.rawRewards(), 1.0);
                        double loss = 0;
                        for (int i = 0; i < w.length; i++) loss -= w[i] * lp[i];
                        rce = loss;
                        sum += loss;
                        count++;
                    } else {
                        for (int i = 0; i < q.candidates().size(); i++) g.writeNull();
                    }
                    g.writeEndArray();
                    if (rce == null) g.writeNullField("rce_loss");
                    else g.writeNumberField("rce_loss", rce);
                    g.writeObjectFieldStart("selections");
                    if (pool.length > 0) {
                        Tensor qe = embeddings.select(0, q.index()).unsqueeze(0);
                        Tensor pe = embeddings.index_select(0, Tensors.longs(toLongs(pool), pool.length)).unsqueeze(0);
                        for (int k : shots) {
                            int[] pos = SelectorDecoder.greedy(model, qe, pe, Math.min(k, pool.length)).positions();
                            g.writeArrayFieldStart(Integer.toString(k));
                            for (int p : pos) g.writeNumber(pool[p]);
                            g.writeEndArray();
                        }
                    }
                    g.writeEndObject();
                    g.writeEndObject();
                    g.writeRaw('\n');
                }
            }
            g.flush();
            ao.commit();
        }
        return count == 0 ? Double.NaN : sum / count;
    }

    /**
     * Every id of a query checked before any native call (LibTorch would answer an out-of-range index with a C++
     * back-trace naming nothing): the query's row and its pool's rows inside the embedding matrix, labels inside the pool.
     */
    static void checkIds(Path file, RlQuery q, int[] pool, int[][] labels, long rows) {
        String where = file + ": query \"" + q.key() + "\": ";
        if (q.index() < 0 || q.index() >= rows)
            throw new IllegalArgumentException(where + "query index " + q.index() + " outside the embedding matrix of " + rows + " rows");
        for (int id : pool)
            if (id < 0 || id >= rows)
                throw new IllegalArgumentException(where + "pool id " + id + " outside the embedding matrix of " + rows + " rows");
        for (int[] l : labels)
            for (int p : l)
                if (p < 0 || p >= pool.length)
                    throw new IllegalArgumentException(where + "pointer " + p + " outside its pool of " + pool.length + " candidates");
    }

    /** Teacher-forced Σ_t log π(label_t) for each label sequence of one query, eval mode. */
    static double[] sequenceLogprobs(PointerSelector m, Tensor emb, int queryIndex, int[] pool, int[][] labels) {
        int n = labels.length, s = labels[0].length;
        long[] lab = new long[n * s];
        for (int i = 0; i < n; i++) for (int t = 0; t < s; t++) lab[i * s + t] = labels[i][t];
        Tensor qe = emb.select(0, queryIndex).unsqueeze(0);
        Tensor pe = emb.index_select(0, Tensors.longs(toLongs(pool), pool.length)).unsqueeze(0);
        PointerSelector.Encoded e = m.encode(qe, pe, null, n, PointerSelector.DropoutSharing.PER_GROUP);
        float[] lp = Tensors.toFloats(Tensors.sum(m.teacherForcedLogprobs(e, Tensors.longs(lab, n, s)), 1, false));
        double[] out = new double[n];
        for (int i = 0; i < n; i++) out[i] = lp[i];
        return out;
    }

    private static long[] toLongs(int[] a) {
        long[] r = new long[a.length];
        for (int i = 0; i < a.length; i++) r[i] = a[i];
        return r;
    }
}
