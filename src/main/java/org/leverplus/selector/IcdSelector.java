package org.leverplus.selector;

import org.bytedeco.pytorch.Tensor;
import org.leverplus.torch.TensorScope;
import org.leverplus.torch.TorchRuntime;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * Embeddable, thread-safe in-context-demonstration selector: load a checkpoint once, then call {@link #select} from
 * any number of threads. Each call runs the selector in eval mode under no-grad inside its own native memory scope,
 * greedily picking {@code shots} distinct candidates from the caller's pool.
 * <pre>{@code
 * try (IcdSelector sel = IcdSelector.load(Path.of("run/rce_epoch5.safetensors"))) {
 *     int[] picks = sel.select(queryEmbedding, candidateEmbeddings, 4);  // positions into candidateEmbeddings
 * }
 * }</pre>
 */
public final class IcdSelector implements AutoCloseable {
    private final PointerSelector model;
    private final ReadWriteLock lock = new ReentrantReadWriteLock();
    private boolean closed;
    private Tensor bankRaw, bankProjected;   // optional candidate bank [N,d] and its projections [N,H]

    private IcdSelector(PointerSelector model) {
        this.model = model;
        model.train(false);
    }

    /** Loads a selector checkpoint (strict parameter matching). */
    public static IcdSelector load(Path checkpoint) throws IOException {
        TorchRuntime.init();
        return new IcdSelector(SelectorCheckpoint.load(checkpoint, SelectorCheckpoint.LoadOptions.strict()).model());
    }

    /** Wraps an existing model (ownership passes to the selector, which puts it in eval mode). */
    public static IcdSelector of(PointerSelector model) {
        return new IcdSelector(model);
    }

    /** The embedding size the model expects. */
    public int embeddingDim() { return model.config().dModel(); }

    /**
     * Picks {@code shots} distinct candidates for a query.
     *
     * @param queryEmbedding      [d]
     * @param candidateEmbeddings [K][d], the query's candidate pool
     * @param shots               1..K
     * @return positions into {@code candidateEmbeddings}, in prompt order
     */
    /** NaN or infinite values would give arbitrary (repeated) picks: an error naming the row and position instead. */
    private static void requireFinite(float[] v, String what) {
        for (int j = 0; j < v.length; j++)
            if (!Float.isFinite(v[j])) throw new IllegalArgumentException(what + ": value " + j + " is " + v[j] + " (embeddings must be finite)");
    }

    public int[] select(float[] queryEmbedding, float[][] candidateEmbeddings, int shots) {
        int d = embeddingDim();
        if (queryEmbedding == null || queryEmbedding.length != d)
            throw new IllegalArgumentException("query embedding: expected " + d + " values, got " + (queryEmbedding == null ? "null" : queryEmbedding.length));
        int k = candidateEmbeddings == null ? 0 : candidateEmbeddings.length;
        if (k == 0) throw new IllegalArgumentException("candidate embeddings: the pool is empty");
        for (int i = 0; i < k; i++)
            if (candidateEmbeddings[i] == null || candidateEmbeddings[i].length != d)
                throw new IllegalArgumentException("candidate embedding " + i + ": expected " + d + " values, got "
                        + (candidateEmbeddings[i] == null ? "null" : candidateEmbeddings[i].length));
        requireFinite(queryEmbedding, "query embedding");
        for (int i = 0; i < k; i++) requireFinite(candidateEmbeddings[i], "candidate embedding " + i);
        lock.readLock().lock();
        try (TensorScope s = TensorScope.open()) {
            if (closed) throw new IllegalStateException("IcdSelector is closed");
            // the embeddings go straight into native memory that the tensors view (no second copy)
            try (org.bytedeco.pytorch.AutoGradMode noGrad = new org.bytedeco.pytorch.AutoGradMode(false);
                 org.bytedeco.javacpp.FloatPointer qp = new org.bytedeco.javacpp.FloatPointer(queryEmbedding);
                 org.bytedeco.javacpp.FloatPointer pp = new org.bytedeco.javacpp.FloatPointer((long) k * d)) {
                for (int i = 0; i < k; i++) pp.position((long) i * d).put(candidateEmbeddings[i]);
                pp.position(0);
                org.bytedeco.pytorch.TensorOptions f32 = new org.bytedeco.pytorch.TensorOptions(org.bytedeco.pytorch.global.torch.ScalarType.Float);
                return model.greedyInference(org.bytedeco.pytorch.global.torch.from_blob(qp, new long[]{d}, f32),
                        org.bytedeco.pytorch.global.torch.from_blob(pp, new long[]{k, d}, f32), shots);
            }
        } finally {
            lock.readLock().unlock();
        }
    }

    /**
     * Registers the embeddings that candidate pools are drawn from (typically the whole training split, [N][d]) and
     * projects them once, so that {@link #select(float[], int[], int)} only gathers rows: in a service where every
     * pool comes from the same candidate set this removes the pool-sized matrix product from each request.
     * Replaces an earlier bank.
     */
    public void setCandidateBank(float[][] embeddings) {
        int d = embeddingDim();
        float[] flat = new float[embeddings.length * d];
        for (int i = 0; i < embeddings.length; i++) {
            if (embeddings[i] == null || embeddings[i].length != d)
                throw new IllegalArgumentException("candidate bank row " + i + ": expected " + d + " values, got "
                        + (embeddings[i] == null ? "null" : embeddings[i].length));
            requireFinite(embeddings[i], "candidate bank row " + i);
            System.arraycopy(embeddings[i], 0, flat, i * d, d);
        }
        lock.writeLock().lock();
        try (TensorScope s = TensorScope.open()) {
            if (closed) throw new IllegalStateException("IcdSelector is closed");
            Tensor raw = Tensors.floats(flat, embeddings.length, d);
            Tensor proj = model.projectCandidates(raw);
            raw.retainReference();   // outlive this scope (released when replaced or closed)
            proj.retainReference();
            releaseBank();
            bankRaw = raw;
            bankProjected = proj;
        } finally {
            lock.writeLock().unlock();
        }
    }

    /**
     * Picks {@code shots} distinct candidates for a query from a pool given as rows of the candidate bank
     * ({@link #setCandidateBank}).
     *
     * @return positions into {@code poolIds}, in prompt order
     */
    public int[] select(float[] queryEmbedding, int[] poolIds, int shots) {
        int d = embeddingDim();
        if (queryEmbedding == null || queryEmbedding.length != d)
            throw new IllegalArgumentException("query embedding: expected " + d + " values, got " + (queryEmbedding == null ? "null" : queryEmbedding.length));
        if (poolIds == null || poolIds.length == 0) throw new IllegalArgumentException("pool ids: the pool is empty");
        requireFinite(queryEmbedding, "query embedding");
        lock.readLock().lock();
        try (TensorScope s = TensorScope.open(); org.bytedeco.pytorch.AutoGradMode noGrad = new org.bytedeco.pytorch.AutoGradMode(false)) {
            if (closed) throw new IllegalStateException("IcdSelector is closed");
            if (bankRaw == null) throw new IllegalStateException("no candidate bank: call setCandidateBank first");
            long n = bankRaw.size(0);
            long[] ids = new long[poolIds.length];
            for (int i = 0; i < ids.length; i++) {
                if (poolIds[i] < 0 || poolIds[i] >= n) throw new IllegalArgumentException("pool id " + poolIds[i] + " outside the candidate bank of " + n + " rows");
                ids[i] = poolIds[i];
            }
            Tensor idx = Tensors.longs(ids, ids.length);
            return model.greedyInference(Tensors.floats(queryEmbedding, d), bankRaw.index_select(0, idx), bankProjected.index_select(0, idx), shots);
        } finally {
            lock.readLock().unlock();
        }
    }

    private void releaseBank() {
        if (bankRaw != null) { bankRaw.releaseReference(); bankProjected.releaseReference(); }
        bankRaw = null;
        bankProjected = null;
    }

    @Override public void close() {
        lock.writeLock().lock();
        try {
            if (!closed) {
                closed = true;
                releaseBank();
                model.close();
            }
        } finally {
            lock.writeLock().unlock();
        }
    }
}
