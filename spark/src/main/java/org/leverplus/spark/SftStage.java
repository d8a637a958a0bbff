package org.leverplus.spark;

import org.apache.spark.api.java.JavaSparkContext;
import org.leverplus.cli.Stages;
import org.leverplus.datagen.SftRun;

import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * {@code lever generate sft} as a distributed stage. The driver reads the pools and checks every anchor
 * ({@link SftRun#plan}, the one-machine command's checks and errors); each task searches {@code --anchors-per-task}
 * consecutive anchors with the executor's model ({@link SftRun.Searcher}) and returns their journal lines; the driver
 * adds them to the run's journal ({@link SftRun#importJournal}) and finishes with {@link SftRun#run}, which finds every
 * anchor journaled, loads no model and writes the SFT JSON and its {@code .meta.json} as the one-machine command does.
 */
final class SftStage {
    /** The Spark-only flag: anchors per task. */
    static final String PER_TASK = "--anchors-per-task";
    static final int DEFAULT_PER_TASK = 4;
    final String[] args;
    final int perTask;
    final Stages.Sft spec;

    SftStage(String[] argv) throws Exception {
        List<String> a = new ArrayList<>(Arrays.asList(argv));
        int i = a.indexOf(PER_TASK), n = DEFAULT_PER_TASK;
        if (i >= 0) {
            if (i + 1 >= a.size()) throw new IllegalArgumentException("lever generate sft: " + PER_TASK + " needs a value");
            try {
                n = Integer.parseInt(a.get(i + 1));
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("lever generate sft: " + PER_TASK + ": expected a positive integer but found '" + a.get(i + 1) + "'");
            }
            if (n < 1) throw new IllegalArgumentException("lever generate sft: " + PER_TASK + " must be >= 1 but was " + n);
            a.subList(i, i + 2).clear();
        }
        this.args = a.toArray(String[]::new);
        this.perTask = n;
        this.spec = Stages.sft(args);
    }

    DistributedRun.Summary run(JavaSparkContext sc, UnaryOperator<ChunkRunner> wrap, boolean keepParts, PrintStream log) throws Exception {
        SftRun.Options o = spec.options();
        Path out = o.out();
        if (Files.exists(out) && !o.overwrite()) throw new FileAlreadyExistsException(out + " exists (use --overwrite to replace it)");
        SftRun.Plan p = SftRun.plan(o); // a bad anchor fails here, before any task
        Map<String, Object> plan = new LinkedHashMap<>();
        plan.put("stage", "generate sft");
        plan.put("flags", VlmStage.planFlags(args));
        plan.put("anchors_per_task", perTask);
        plan.put("dataset", o.items().describe());
        plan.put("anchors", p.anchors());
        plan.put("pools_sha256", VlmStage.sha256(List.of(o.pools())));
        plan.put("snapshot_sha256", VlmStage.dirSha256(o.snapshot()));
        ChunkRunner runner = runner(args);
        if (wrap != null) runner = wrap.apply(runner);
        DistributedRun.Finisher importAndWrite = (store, n) -> {
            List<String> lines = new ArrayList<>();
            for (int i = 0; i < n; i++) lines.addAll(Files.readAllLines(store.chunkFile(i), StandardCharsets.UTF_8));
            SftRun.importJournal(o, lines);
            SftRun.Summary s = SftRun.run(o, null);
            if (log != null) log.println("generate sft: " + s + " -> " + out);
        };
        return DistributedRun.run(sc, "generate sft", Chunk.split(p.anchors().size(), perTask), plan, runner,
                ChunkStore.beside(out), importAndWrite, o.model().device(), keepParts, log);
    }

    /** The executor side: the checked anchors and the model, once per executor JVM and device. */
    static final class Executor implements AutoCloseable {
        final SftRun.Plan plan;
        final SftRun.Searcher searcher;

        Executor(Stages.Sft s) throws Exception {
            this.plan = SftRun.plan(s.options());
            this.searcher = SftRun.Searcher.open(s.options());
        }

        synchronized List<String> lines(Chunk c) throws Exception {
            List<String> lines = new ArrayList<>();
            for (int a : plan.anchors().subList(c.from(), c.to())) lines.add(SftRun.Searcher.text(searcher.line(plan, a)));
            return lines;
        }

        @Override public void close() throws Exception { searcher.close(); }
    }

    static ChunkRunner runner(String[] args) {
        String[] a = args.clone();
        return (chunk, device) -> {
            String key = "generate sft\u0000" + String.join("\u0000", a) + "\u0000" + device;
            Executor e = ExecutorModels.get(key, () -> new Executor(Stages.sft(a).onDevice(device)));
            return e.lines(chunk);
        };
    }
}
