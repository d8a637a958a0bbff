package org.leverplus.spark;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.util.LongAccumulator;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The driver side of a distributed stage: skips committed chunks, runs the others as Spark tasks (one chunk per task),
 * merges the chunk files into the output and removes them. Lever's counters are Spark accumulators, so the Spark UI
 * shows them while the job runs.
 */
public final class DistributedRun {
    /** What a run did. */
    public record Summary(int chunks, int computed, int resumed, long records, long modelLoads, long droppedCommits,
                          double seconds) {
        @Override public String toString() {
            return String.format("%d chunks (%d computed, %d already committed), %d records in %.1f s; %d model loads, "
                    + "%d duplicate attempts dropped", chunks, computed, resumed, records, seconds, modelLoads, droppedCommits);
        }
    }

    private DistributedRun() {}

    /** The driver's last step once every chunk is committed (merge the chunk files, or import them). */
    @FunctionalInterface
    public interface Finisher {
        void finish(ChunkStore store, int chunks) throws Exception;
    }

    /**
     * Runs {@code chunks} through {@code runner} and writes {@code out}: the chunk files concatenated, in order.
     * @param plan what the run computes (stage, flags, input hashes); a rerun with the same plan resumes
     * @param device the device of tasks that Spark gives no GPU ("cpu", or the stage's --device)
     */
    public static Summary run(JavaSparkContext sc, String name, List<Chunk> chunks, Map<String, Object> plan,
                              ChunkRunner runner, Path out, boolean overwrite, String device, boolean keepParts,
                              PrintStream log) throws Exception {
        if (Files.exists(out) && !overwrite) throw new FileAlreadyExistsException(out + " exists (use --overwrite to replace it)");
        return run(sc, name, chunks, plan, runner, ChunkStore.beside(out), (store, n) -> store.merge(n, out, overwrite),
                device, keepParts, log);
    }

    /** As above, with the chunk store and the final step given. */
    public static Summary run(JavaSparkContext sc, String name, List<Chunk> chunks, Map<String, Object> plan,
                              ChunkRunner runner, ChunkStore store, Finisher finisher, String device, boolean keepParts,
                              PrintStream log) throws Exception {
        long t0 = System.nanoTime();
        store.open(plan);
        List<Chunk> todo = chunks.stream().filter(c -> !store.committed(c.index())).toList();
        if (log != null) {
            log.printf("lever %s: %d chunks, %d to compute, %d already committed in %s%n", name, chunks.size(), todo.size(),
                    chunks.size() - todo.size(), store.dir());
        }
        LongAccumulator records = sc.sc().longAccumulator("lever records");
        LongAccumulator loads = sc.sc().longAccumulator("lever model loads");
        LongAccumulator dropped = sc.sc().longAccumulator("lever duplicate attempts dropped");
        if (!todo.isEmpty()) {
            sc.setJobDescription("lever " + name + ": " + todo.size() + " chunks");
            sc.parallelize(todo, todo.size()).foreach(c -> {
                int before = ExecutorModels.loadsByThisThread();
                List<String> lines = runner.run(c, TaskDevice.current(device));
                loads.add(ExecutorModels.loadsByThisThread() - before);
                if (store.commit(c.index(), lines)) records.add(lines.size());
                else dropped.add(1);
            });
        }
        for (Chunk c : chunks) {
            if (!store.committed(c.index())) throw new IllegalStateException(store.chunkFile(c.index()) + ": chunk " + c.index() + " is missing");
        }
        finisher.finish(store, chunks.size());
        if (!keepParts) store.delete();
        return new Summary(chunks.size(), todo.size(), chunks.size() - todo.size(), records.value(), loads.value(),
                dropped.value(), (System.nanoTime() - t0) / 1e9);
    }
}
