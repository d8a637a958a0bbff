package org.leverplus.spark;

import org.apache.spark.api.java.JavaSparkContext;
import org.leverplus.cli.Stages;
import org.leverplus.rlgen.RlGenerator;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * {@code lever generate rl} as a distributed stage. The driver reads the inputs and lists the run's queries (after
 * {@code --limit} and {@code --shard}); each task labels one chunk of {@code --chunk} queries, the batches a
 * one-machine run forms ({@link RlGenerator#journalLines}), with the executor's selector and VLM, and returns their
 * journal records; the driver adds them to the run's journal and finishes with {@link RlGenerator#run}, which finds
 * every query journaled, needs no model, and writes the RL JSON the one-machine command writes.
 */
final class RlStage {
    final String[] args;
    final Stages.Rl spec;

    RlStage(String[] args) throws Exception {
        this.args = args.clone();
        this.spec = Stages.rl(args);
    }

    DistributedRun.Summary run(JavaSparkContext sc, UnaryOperator<ChunkRunner> wrap, boolean keepParts, PrintStream log) throws Exception {
        Path out = spec.out();
        if (Files.exists(out) && !spec.overwrite()) throw new FileAlreadyExistsException(out + " exists (pass --overwrite to replace it)");
        List<Integer> queries = spec.queries();
        Map<String, Object> plan = new LinkedHashMap<>();
        plan.put("stage", "generate rl");
        plan.put("flags", VlmStage.planFlags(args));
        plan.put("run_settings", spec.runSettings().toString());
        plan.put("queries", queries);
        List<Path> inputs = new ArrayList<>();
        for (int i = 0; i + 1 < args.length; i++) {
            if (List.of("--items", "--questions", "--annotations", "--val-questions", "--val-annotations", "--pools",
                    "--checkpoint", "--embeddings").contains(args[i])) inputs.add(Path.of(args[i + 1]));
        }
        plan.put("inputs_sha256", VlmStage.sha256(inputs));
        plan.put("snapshot_sha256", VlmStage.dirSha256(snapshotOf(args)));
        ChunkRunner runner = runner(args, queries);
        if (wrap != null) runner = wrap.apply(runner);
        DistributedRun.Finisher importAndWrite = (store, n) -> {
            List<String> lines = new ArrayList<>();
            for (int i = 0; i < n; i++) lines.addAll(Files.readAllLines(store.chunkFile(i), StandardCharsets.UTF_8));
            RlGenerator.Summary s = spec.finish(lines, null);
            if (log != null) log.println("generate rl: " + s + " -> " + out);
        };
        return DistributedRun.run(sc, "generate rl", Chunk.split(queries.size(), spec.settings().chunk()), plan, runner,
                ChunkStore.beside(out), importAndWrite, spec.device(), keepParts, log);
    }

    private static Path snapshotOf(String[] args) {
        for (int i = 0; i + 1 < args.length; i++) if (args[i].equals("--snapshot")) return Path.of(args[i + 1]);
        throw new IllegalArgumentException("lever generate rl: --snapshot is required");
    }

    /** The executor side: the command's inputs and models, once per executor JVM and device. */
    static final class Executor implements AutoCloseable {
        final Stages.Generator generator;

        Executor(Stages.Rl r, String device) throws Exception { this.generator = r.open(device); }

        synchronized List<String> lines(List<Integer> queries) throws Exception {
            return generator.generator().journalLines(queries);
        }

        @Override public void close() throws Exception { generator.close(); }
    }

    static ChunkRunner runner(String[] args, List<Integer> queries) {
        String[] a = args.clone();
        int[] q = queries.stream().mapToInt(Integer::intValue).toArray();
        return (chunk, device) -> {
            String key = "generate rl\u0000" + String.join("\u0000", a) + "\u0000" + device;
            Executor e = ExecutorModels.get(key, () -> new Executor(Stages.rl(a), device));
            List<Integer> mine = new ArrayList<>();
            for (int i = chunk.from(); i < chunk.to(); i++) mine.add(q[i]);
            return e.lines(mine);
        };
    }
}
