package org.leverplus.bench;

import org.leverplus.data.Embeddings;
import org.leverplus.eval.CosineIndex;

/**
 * Batched cosine search of {@code lever eval} (MMTopK, selector pools): 1000 questions against N training rows of
 * 512-d features ({@code CosineIndex.topKAll}, float32 LibTorch products in chunks), next to the float64
 * one-query reference scan. Run: see benchmarks/results/eval.md.
 */
public final class CosineSearchBench {
    public static void main(String[] a) throws Exception {
        int n = Integer.parseInt(a[0]), d = 512, nq = 1000;
        float[] v = new float[n * d];
        java.util.Random r = new java.util.Random(1);
        for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
        java.nio.file.Path p = java.nio.file.Files.createTempFile("cosine-bench", ".safetensors");
        p.toFile().deleteOnExit();
        Embeddings.of(n, d, v).writeSafetensors(p, java.util.Map.of(), true);
        v = null;
        Embeddings e = Embeddings.readSafetensors(p);
        float[] qv = new float[nq * d];
        for (int i = 0; i < qv.length; i++) qv[i] = (float) r.nextGaussian();
        Embeddings q = Embeddings.of(nq, d, qv);
        CosineIndex ix = new CosineIndex(e);
        for (int rep = 0; rep < 2; rep++) {
            long t0 = System.nanoTime();
            ix.topKAll(q, nq, 64);
            double s = (System.nanoTime() - t0) / 1e9;
            System.out.printf("N=%d: %d queries in %.2f s (%.2f ms/query)%n", n, nq, s, s * 1e3 / nq);
        }
        for (int i = 0; i < 20; i++) ix.topK(q.row(i), 64, null);   // warm-up (JIT)
        long t0 = System.nanoTime();
        for (int i = 20; i < 40; i++) ix.topK(q.row(i), 64, null);
        System.out.printf("single-query float64 reference (after 20 warm-up queries): %.2f ms/query%n", (System.nanoTime() - t0) / 1e6 / 20);
    }
}
