package org.leverplus.eval;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.leverplus.data.Embeddings;
import org.leverplus.data.VqaRecord;
import org.leverplus.io.AtomicOutput;
import org.leverplus.io.JsonSupport;
import org.leverplus.metric.AnswerExtraction;
import org.leverplus.metric.VqaAccuracy;
import org.leverplus.metric.VqaEvaluation;
import org.leverplus.selector.IcdSelector;
import org.leverplus.torch.TensorScope;
import org.leverplus.torch.TorchRuntime;
import org.leverplus.vlm.Qwen25VlSnapshot;
import org.leverplus.vlm.engine.EngineOptions;
import org.leverplus.vlm.engine.Generation;
import org.leverplus.vlm.engine.GenerationSettings;
import org.leverplus.vlm.engine.Prompt;
import org.leverplus.vlm.engine.VlmEngine;
import org.leverplus.vlm.engine.VlmGenerator;
import org.leverplus.vlm.engine.VlmRun;
import org.leverplus.vlm.model.ModelOptions;
import org.leverplus.vlm.model.Qwen25VlModel;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code lever eval}: the VQA accuracy table by number of shots, the trained selector against zero-shot, random and
 * similarity baselines (spec 12), with bootstrap confidence intervals and paired tests.
 *
 * <p>Per (method, shots): the ICDs of every evaluated question ({@link Retrievers}), batched generation through the
 * engine with its image and prefix caches, Lever-Plus's answer extraction, and the official whole-file VQA accuracy
 * over exactly the evaluated questions (no fallback: a question that cannot be graded stops the evaluation with its
 * id). Generations are journaled ({@link EvalJournal}); a rerun continues where it stopped. Outputs in the output
 * directory: {@code eval.json} (everything, per question too), {@code metrics.json} in the original's format,
 * {@code report.html}, the per-cell results files under {@code results/} and the graded question subset under
 * {@code official/}.
 */
public final class Evaluation {
    /** The files an evaluation reads (feature files as [N, d] float32 safetensors, rows in global-id order). */
    public record Inputs(EvalData data, Path snapshot, Path selectorCheckpoint, Path selectorTrain, Path selectorVal,
                         Path clipTrainImage, Path clipTrainText, Path clipValImage, Path clipValText) {}

    /** What is evaluated and how. */
    public record Settings(List<Method> methods, List<Integer> shots, Retrievers.PoolSpec pool, long randomSeed,
                           long statsSeed, int resamples, int permutations, int numBeams, int maxNewTokens,
                           ModelOptions model, EngineOptions engine, int chunk, boolean overwrite) {
        public Settings {
            methods = List.copyOf(methods);
            shots = List.copyOf(shots);
            if (methods.isEmpty()) throw new IllegalArgumentException("--methods: nothing to evaluate");
            if (methods.stream().distinct().count() != methods.size()) throw new IllegalArgumentException("--methods: a method is listed twice: " + methods);
            if (shots.isEmpty()) throw new IllegalArgumentException("--shots: no shot counts");
            for (int s : shots) if (s < 1) throw new IllegalArgumentException("--shots: shot counts must be >= 1, got " + s);
            if (shots.stream().distinct().count() != shots.size()) throw new IllegalArgumentException("--shots: a shot count is listed twice: " + shots);
            if (resamples < 100) throw new IllegalArgumentException("--bootstrap: at least 100 resamples, got " + resamples);
            if (permutations < 100) throw new IllegalArgumentException("--permutations: at least 100, got " + permutations);
            if (chunk < 1) throw new IllegalArgumentException("--chunk must be >= 1, got " + chunk);
            if (numBeams < 1) throw new IllegalArgumentException("--num-beams must be >= 1, got " + numBeams);
            if (maxNewTokens < 1) throw new IllegalArgumentException("--max-new-tokens must be >= 1, got " + maxNewTokens);
        }

        /** The shot counts a method is evaluated at: zero-shot once, at 0. */
        List<Integer> shotsOf(Method m) { return m == Method.ZERO ? List.of(0) : shots; }
    }

    /** One evaluated (method, shots) cell. */
    record Cell(Method method, int shots, int[][] icds) {
        String label() { return method.key() + "@" + shots; }
    }

    public static final String EVAL_JSON = "eval.json", METRICS_JSON = "metrics.json", REPORT_HTML = "report.html", JOURNAL = "journal.jsonl";

    private Evaluation() {}

    /** What a run wrote: eval.json and the accuracy table as text. */
    public record Outcome(Path evalJson, EvalResults results) {}

    /** Runs (or resumes) an evaluation into {@code outDir}; progress lines go to {@code progress} (may be null). */
    public static Outcome run(Inputs in, Settings s, Path outDir, PrintStream progress) throws IOException {
        Files.createDirectories(outDir);
        if (s.overwrite()) for (String f : List.of(JOURNAL, EVAL_JSON, METRICS_JSON, REPORT_HTML)) Files.deleteIfExists(outDir.resolve(f));
        EvalData data = in.data();
        int n = data.limit();
        List<Cell> cells = plan(in, s, n);

        ObjectNode header = header(in, s);
        try (EvalJournal journal = EvalJournal.open(outDir.resolve(JOURNAL), header)) {
            int pending = 0;
            for (Cell c : cells) pending += pendingRows(journal, data, c).length;
            if (progress != null) progress.printf("eval: %d cells x %d questions, %d generations journaled, %d to run%n", cells.size(), n, journal.size(), pending);
            if (pending > 0) generate(in, s, units(cells, journal, data, s.chunk()), journal, progress);
            return grade(in, s, cells, journal, outDir, progress);
        }
    }

    /** Generation work: questions {@code rows} (indexes into the validation list) of one cell, with their ICDs. */
    public record Unit(String method, int shots, int[] rows, int[][] icds) implements java.io.Serializable {
        String label() { return method + "@" + shots; }
    }

    /**
     * The generations still missing in {@code outDir}'s journal, as the units a one-machine run generates them in
     * (cells in order, each cell's missing questions in chunks of {@code --chunk}). Creates the journal when absent;
     * a journal of other settings is refused. A distributed runner computes these units anywhere, appends their
     * entries to the journal in this order, then calls {@link #run}, which only grades.
     */
    public static List<Unit> pendingUnits(Inputs in, Settings s, Path outDir) throws IOException {
        Files.createDirectories(outDir);
        List<Cell> cells = plan(in, s, in.data().limit());
        try (EvalJournal journal = EvalJournal.open(outDir.resolve(JOURNAL), header(in, s))) {
            return units(cells, journal, in.data(), s.chunk());
        }
    }

    private static List<Unit> units(List<Cell> cells, EvalJournal journal, EvalData data, int chunk) {
        List<Unit> out = new ArrayList<>();
        for (Cell c : cells) {
            int[] rows = pendingRows(journal, data, c);
            for (int from = 0; from < rows.length; from += chunk) {
                int[] part = java.util.Arrays.copyOfRange(rows, from, Math.min(rows.length, from + chunk));
                int[][] icds = new int[part.length][];
                for (int i = 0; i < part.length; i++) icds[i] = c.icds()[part[i]];
                out.add(new Unit(c.method().key(), c.shots(), part, icds));
            }
        }
        return out;
    }

    /** Appends generated entries to {@code outDir}'s journal (as {@link #run} would have). */
    public static void record(Inputs in, Settings s, Path outDir, List<EvalJournal.Entry> entries) throws IOException {
        try (EvalJournal journal = EvalJournal.open(outDir.resolve(JOURNAL), header(in, s))) {
            journal.record(entries);
        }
    }

    /** A loaded VLM that generates units; each unit's generations depend on the unit alone. */
    public static final class UnitGenerator implements AutoCloseable {
        private final EvalData data;
        private final EvalPrompts prompts;
        private final Qwen25VlModel model;
        private final VlmEngine engine;
        private final VlmGenerator generator;
        private final GenerationSettings gen;

        public UnitGenerator(EvalData data, Path snapshot, Settings s) throws IOException {
            TorchRuntime.init();
            Qwen25VlSnapshot snap = Qwen25VlSnapshot.open(snapshot);
            this.data = data;
            this.gen = new GenerationSettings(s.numBeams(), s.maxNewTokens(), VlmRun.eosIds(snapshot));
            this.prompts = new EvalPrompts(data, snap);
            Qwen25VlModel m = null;
            try {
                m = Qwen25VlModel.load(snap, s.model());
                this.model = m;
                this.engine = new VlmEngine(m, s.engine());
            } catch (IOException | RuntimeException e) {
                if (m != null) m.close();
                prompts.close();
                throw e;
            }
            this.generator = new VlmGenerator(engine);
        }

        public VlmEngine engine() { return engine; }

        public List<EvalJournal.Entry> generate(Unit u) throws IOException {
            engine.resetPromptState(); // a unit's generations depend on the unit alone (VlmEngine#resetPromptState)
            List<EvalJournal.Entry> entries = new ArrayList<>();
            try (TensorScope scope = TensorScope.open()) {
                List<Prompt> ps = prompts.prompts(u.rows(), u.icds());
                List<Generation> gs = generator.generate(ps, gen);
                for (int i = 0; i < u.rows().length; i++) {
                    String raw = prompts.tokenizer().decode(gs.get(i).tokens(), true);
                    entries.add(new EvalJournal.Entry(u.method(), u.shots(), data.val().get(u.rows()[i]).questionId(),
                            u.icds()[i], raw, AnswerExtraction.extract(raw)));
                }
            }
            return entries;
        }

        @Override public void close() throws IOException {
            try {
                engine.close();
                model.close();
            } finally {
                prompts.close();
            }
        }
    }

    /** The ICDs of every (method, shots) cell, computed before any generation (cheap next to generation). */
    static List<Cell> plan(Inputs in, Settings s, int n) throws IOException {
        EvalData data = in.data();
        int nTrain = data.train().size();
        Map<Path, Embeddings> files = new LinkedHashMap<>();
        Map<Path, CosineIndex> indexes = new LinkedHashMap<>();
        List<Cell> cells = new ArrayList<>();
        for (Method m : s.methods()) {
            switch (m) {
                case ZERO -> cells.add(new Cell(m, 0, new int[n][0]));
                case RANDOM -> {
                    RandomRetriever r = new RandomRetriever(nTrain, s.randomSeed());
                    for (int k : s.shots()) cells.add(new Cell(m, k, r.retrieve(k, n)));
                }
                case I2I, I2T, T2T -> {
                    Path test = need(m == Method.T2T ? in.clipValText() : in.clipValImage(), m, m == Method.T2T ? "--clip-val-text" : "--clip-val-image");
                    Path index = need(m == Method.I2I ? in.clipTrainImage() : in.clipTrainText(), m, m == Method.I2I ? "--clip-train-image" : "--clip-train-text");
                    Embeddings te = features(files, test, data.val().size(), "validation");
                    CosineIndex ix = index(files, indexes, index, nTrain);
                    if (te.dim() != ix.dim()) throw new IllegalArgumentException(m.key() + ": " + test + " has " + te.dim() + " columns but " + index + " has " + ix.dim());
                    for (int k : s.shots()) cells.add(new Cell(m, k, Retrievers.mmTopK(te, ix, n, k)));
                }
                case MIX -> {
                    Embeddings vi = features(files, need(in.clipValImage(), m, "--clip-val-image"), data.val().size(), "validation");
                    Embeddings vt = features(files, need(in.clipValText(), m, "--clip-val-text"), data.val().size(), "validation");
                    CosineIndex ti = index(files, indexes, need(in.clipTrainImage(), m, "--clip-train-image"), nTrain);
                    CosineIndex tt = index(files, indexes, need(in.clipTrainText(), m, "--clip-train-text"), nTrain);
                    for (int k : s.shots()) cells.add(new Cell(m, k, Retrievers.mix(vi, ti, vt, tt, n, k, s.randomSeed())));
                }
                case SELECTOR -> {
                    Path ckpt = need(in.selectorCheckpoint(), m, "--checkpoint");
                    Embeddings sv = features(files, need(in.selectorVal(), m, "--selector-val-embeddings"), data.val().size(), "validation");
                    Path trainPath = need(in.selectorTrain(), m, "--selector-train-embeddings");
                    Embeddings st = features(files, trainPath, nTrain, "training");
                    int[][] pools = Retrievers.pools(s.pool(), sv, index(files, indexes, trainPath, nTrain), n);
                    TorchRuntime.init();
                    try (IcdSelector sel = IcdSelector.load(ckpt)) {
                        if (sel.embeddingDim() != st.dim())
                            throw new IllegalArgumentException(ckpt + " expects " + sel.embeddingDim() + "-d embeddings but " + trainPath + " has " + st.dim() + " columns");
                        for (int k : s.shots()) cells.add(new Cell(m, k, Retrievers.selector(sel, sv, st, pools, k)));
                    }
                }
            }
        }
        return cells;
    }

    private static Path need(Path p, Method m, String option) {
        if (p == null) throw new IllegalArgumentException("method " + m.key() + " needs " + option);
        return p;
    }

    private static Embeddings features(Map<Path, Embeddings> files, Path p, int rows, String split) throws IOException {
        Embeddings e = files.get(p);
        if (e == null) {
            e = Embeddings.readSafetensors(p);
            files.put(p, e);
        }
        if (e.rows() != rows)
            throw new IllegalArgumentException(p + ": expected one row per " + split + " item (" + rows + ") but found " + e.rows());
        return e;
    }

    private static CosineIndex index(Map<Path, Embeddings> files, Map<Path, CosineIndex> indexes, Path p, int rows) throws IOException {
        CosineIndex ix = indexes.get(p);
        if (ix == null) {
            ix = new CosineIndex(features(files, p, rows, "training"));
            indexes.put(p, ix);
        }
        return ix;
    }

    /** The settings that determine the generations; a journal is only resumed under the same header. */
    static ObjectNode header(Inputs in, Settings s) {
        ObjectNode h = JsonSupport.mapper().createObjectNode();
        h.put("journal", "lever-eval/1");
        h.put("dataset", in.data().kind().name().toLowerCase(java.util.Locale.ROOT));
        h.put("data_dir", in.data().dataDir().toAbsolutePath().toString());
        h.put("questions", in.data().limit());
        h.put("snapshot", in.snapshot().toAbsolutePath().toString());
        h.put("checkpoint", in.selectorCheckpoint() == null ? null : in.selectorCheckpoint().toAbsolutePath().toString());
        h.put("pool", s.pool().toString());
        h.put("random_seed", s.randomSeed());
        h.put("num_beams", s.numBeams());
        h.put("max_new_tokens", s.maxNewTokens());
        h.put("dtype", s.model().dtype().toString());
        return h;
    }

    private static int[] pendingRows(EvalJournal j, EvalData data, Cell c) {
        List<Integer> rows = new ArrayList<>();
        for (int q = 0; q < data.limit(); q++) {
            EvalJournal.Entry e = j.get(c.method().key(), c.shots(), data.val().get(q).questionId());
            if (e == null) rows.add(q);
            else if (!EvalJournal.sameIcds(e, c.icds()[q]))
                throw new IllegalStateException("journal: " + c.label() + " question " + e.questionId() + " was generated with ICDs "
                        + java.util.Arrays.toString(e.icds()) + " but the inputs now give " + java.util.Arrays.toString(c.icds()[q])
                        + " (changed feature files or checkpoint?); use --overwrite to start again");
        }
        return rows.stream().mapToInt(Integer::intValue).toArray();
    }

    private static void generate(Inputs in, Settings s, List<Unit> units, EvalJournal journal, PrintStream progress) throws IOException {
        try (UnitGenerator g = new UnitGenerator(in.data(), in.snapshot(), s)) {
            long t0 = System.nanoTime();
            int done = 0, total = 0;
            for (Unit u : units) total += u.rows().length;
            for (Unit u : units) {
                journal.record(g.generate(u));
                done += u.rows().length;
                if (progress != null) {
                    double sec = (System.nanoTime() - t0) / 1e9;
                    progress.printf("\reval %-12s %d/%d  %.2f questions/s  vision passes %d, prefix hits %d", u.label(), done, total,
                            done / Math.max(sec, 1e-9), g.engine().visionCalls(), g.engine().prefixHits());
                    progress.flush();
                }
            }
            if (progress != null && total > 0) progress.println();
        }
    }

    private static Outcome grade(Inputs in, Settings s, List<Cell> cells, EvalJournal journal, Path outDir, PrintStream progress) throws IOException {
        EvalData data = in.data();
        Path qf = outDir.resolve("official/questions.json"), af = outDir.resolve("official/annotations.json");
        data.writeOfficialSubset(qf, af);
        VqaEvaluation official = new VqaEvaluation(VqaAccuracy.official());
        List<VqaRecord> questions = data.questions();
        EvalResults.Builder b = new EvalResults.Builder(data, s);
        for (Cell c : cells) {
            ArrayNode res = JsonSupport.mapper().createArrayNode();
            List<EvalJournal.Entry> entries = new ArrayList<>();
            for (VqaRecord q : questions) {
                EvalJournal.Entry e = journal.get(c.method().key(), c.shots(), q.questionId());
                if (e == null) throw new IllegalStateException("journal: no generation for " + c.label() + " question " + q.questionId());
                entries.add(e);
                res.addObject().put("question_id", q.questionId()).put("answer", e.answer());
            }
            Path rf = outDir.resolve("results/" + c.method().key() + "_shot" + c.shots() + ".json");
            AtomicOutput.writeBytes(rf, JsonSupport.mapper().writeValueAsBytes(res), true);
            VqaEvaluation.Result r = official.evaluate(rf, qf, af);
            double[] perQuestion = new double[questions.size()];
            for (int i = 0; i < perQuestion.length; i++) {
                Double v = r.perQuestion().get(questions.get(i).questionId());
                if (v == null) throw new IllegalStateException("question " + questions.get(i).questionId() + " was not graded");
                perQuestion[i] = v;
            }
            b.add(c.method(), c.shots(), r, perQuestion, entries);
        }
        EvalResults results = b.build();
        Path evalJson = outDir.resolve(EVAL_JSON);
        AtomicOutput.writeBytes(evalJson, JsonSupport.mapper().writerWithDefaultPrettyPrinter().writeValueAsBytes(results.toJson()), true);
        String stamp = LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyy-MM-dd_HH-mm-ss"));
        AtomicOutput.writeBytes(outDir.resolve(METRICS_JSON), JsonSupport.mapper().writerWithDefaultPrettyPrinter()
                .writeValueAsBytes(results.originalMetrics(stamp)), true);
        return new Outcome(evalJson, results);
    }
}
