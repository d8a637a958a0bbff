package org.leverplus.spark;

import org.leverplus.cli.Stages;
import org.leverplus.eval.EvalJournal;
import org.leverplus.eval.Evaluation;

import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code lever eval} as a distributed stage. The driver plans the evaluation (every cell's ICDs) and lists the
 * generation units a one-machine run would generate ({@link Evaluation#pendingUnits}); each unit is one task, which
 * returns its journal lines; the driver appends them to the journal in unit order and runs the ordinary evaluation,
 * which finds every generation journaled and only grades. The outputs are those of {@code lever eval}.
 */
final class EvalStage {
    static final String PARTS = ".spark-parts";
    final String[] args;
    final Stages.Eval spec;

    EvalStage(String[] args) throws Exception {
        this.args = args.clone();
        this.spec = Stages.eval(args);
    }

    DistributedRun.Summary run(org.apache.spark.api.java.JavaSparkContext sc, java.util.function.UnaryOperator<ChunkRunner> wrap,
                               boolean keepParts, java.io.PrintStream log) throws Exception {
        Path out = spec.out();
        ChunkStore store = new ChunkStore(out.resolve(PARTS));
        if (spec.settings().overwrite()) {
            store.delete();
            for (String f : List.of(Evaluation.JOURNAL, Evaluation.EVAL_JSON, Evaluation.METRICS_JSON, Evaluation.REPORT_HTML))
                Files.deleteIfExists(out.resolve(f));
        }
        Stages.Eval resuming = spec.resuming();
        List<Evaluation.Unit> units = Evaluation.pendingUnits(resuming.inputs(), resuming.settings(), out);
        List<Chunk> chunks = new ArrayList<>();
        for (int i = 0; i < units.size(); i++) chunks.add(new Chunk(i, 0, units.get(i).rows().length));
        Map<String, Object> plan = new LinkedHashMap<>();
        plan.put("stage", "eval");
        List<String> flags = new ArrayList<>(Arrays.asList(args));
        flags.remove("--overwrite");
        plan.put("flags", flags);
        plan.put("units_sha256", unitsHash(units));
        if (units.isEmpty()) store.delete(); // everything journaled already: only grading is left
        ChunkRunner runner = runner(args, units);
        if (wrap != null) runner = wrap.apply(runner);
        DistributedRun.Finisher importAndGrade = (st, n) -> {
            List<EvalJournal.Entry> entries = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                for (String line : Files.readAllLines(st.chunkFile(i), StandardCharsets.UTF_8)) entries.add(EvalJournal.parse(line));
            }
            if (!entries.isEmpty()) Evaluation.record(resuming.inputs(), resuming.settings(), out, entries);
            Evaluation.Outcome o = Evaluation.run(resuming.inputs(), resuming.settings(), out, log);
            resuming.finish(o, new PrintWriter(System.out, true, StandardCharsets.UTF_8));
        };
        return DistributedRun.run(sc, "eval", chunks, plan, runner, store, importAndGrade,
                spec.settings().model().device(), keepParts, log);
    }

    static ChunkRunner runner(String[] args, List<Evaluation.Unit> units) {
        String[] a = args.clone();
        Evaluation.Unit[] u = units.toArray(Evaluation.Unit[]::new);
        return (chunk, device) -> {
            String key = "eval\u0000" + String.join("\u0000", a) + "\u0000" + device;
            Evaluation.UnitGenerator g = ExecutorModels.get(key, () -> {
                Stages.Eval e = Stages.eval(a).onDevice(device);
                return new Evaluation.UnitGenerator(e.inputs().data(), e.inputs().snapshot(), e.settings());
            });
            List<String> lines = new ArrayList<>();
            synchronized (g) {
                for (EvalJournal.Entry e : g.generate(u[chunk.index()])) lines.add(EvalJournal.line(e));
            }
            return lines;
        };
    }

    private static String unitsHash(List<Evaluation.Unit> units) {
        var md = org.leverplus.spark.VlmStage.digest();
        for (Evaluation.Unit u : units) {
            md.update((u.method() + "@" + u.shots() + Arrays.toString(u.rows()) + Arrays.deepToString(u.icds()) + "\n").getBytes(StandardCharsets.UTF_8));
        }
        return java.util.HexFormat.of().formatHex(md.digest());
    }
}
