package org.leverplus.eval;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.leverplus.data.VqaRecord;
import org.leverplus.io.JsonSupport;
import org.leverplus.metric.VqaEvaluation;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The results of an evaluation: per (method, shots) the official accuracy, its bootstrap interval and the
 * per-question accuracies; per method and shot count the paired comparison with the reference method (the selector
 * when evaluated, else the first listed method; zero-shot is compared with the reference at every shot count).
 * {@link #toJson()} is {@code eval.json}; {@link #originalMetrics} the original's metrics file.
 */
public final class EvalResults {
    /** One (method, shots) cell. */
    public record CellResult(Method method, int shots, double accuracy, Statistics.Interval ci, double[] perQuestion,
                             Map<String, Double> perAnswerType, List<EvalJournal.Entry> entries) {}

    /** One paired comparison: {@code method@shots} − {@code reference@referenceShots}. */
    public record Comparison(Method method, int shots, Method reference, int referenceShots, Statistics.Paired paired) {}

    private final EvalData data;
    private final Evaluation.Settings settings;
    private final List<CellResult> cells;
    private final List<Comparison> comparisons;
    private final Method reference;

    private EvalResults(EvalData data, Evaluation.Settings settings, List<CellResult> cells, List<Comparison> comparisons, Method reference) {
        this.data = data;
        this.settings = settings;
        this.cells = cells;
        this.comparisons = comparisons;
        this.reference = reference;
    }

    public List<CellResult> cells() { return cells; }

    public List<Comparison> comparisons() { return comparisons; }

    /** Collects cells, then computes intervals and comparisons (all seeded from the settings' stats seed). */
    static final class Builder {
        private final EvalData data;
        private final Evaluation.Settings s;
        private final List<CellResult> cells = new ArrayList<>();

        Builder(EvalData data, Evaluation.Settings s) {
            this.data = data;
            this.s = s;
        }

        void add(Method m, int shots, VqaEvaluation.Result r, double[] perQuestion, List<EvalJournal.Entry> entries) {
            Statistics.Interval ci = Statistics.bootstrapCi(perQuestion, s.resamples(), 0.95, seed(m.key() + "@" + shots));
            cells.add(new CellResult(m, shots, r.overall(), ci, perQuestion, r.perAnswerType(), entries));
        }

        private long seed(String label) { return s.statsSeed() * 1_000_003L + label.hashCode(); }

        EvalResults build() {
            Method ref = s.methods().contains(Method.SELECTOR) ? Method.SELECTOR : s.methods().get(0);
            List<Comparison> cmp = new ArrayList<>();
            for (Method m : s.methods()) {
                if (m == ref) continue;
                for (int k : s.shots()) {
                    CellResult a = find(m, m == Method.ZERO ? 0 : k), b = find(ref, ref == Method.ZERO ? 0 : k);
                    Statistics.Paired p = Statistics.paired(a.perQuestion(), b.perQuestion(), s.resamples(), s.permutations(), 0.95,
                            seed(a.method().key() + "@" + a.shots() + "-vs-" + b.method().key() + "@" + b.shots()));
                    cmp.add(new Comparison(m, a.shots(), ref, b.shots(), p));
                }
            }
            return new EvalResults(data, s, List.copyOf(cells), cmp, ref);
        }

        private CellResult find(Method m, int shots) {
            for (CellResult c : cells) if (c.method() == m && c.shots() == shots) return c;
            throw new IllegalStateException("no result for " + m.key() + "@" + shots);
        }
    }

    /** {@code eval.json}. */
    public ObjectNode toJson() {
        ObjectNode o = JsonSupport.mapper().createObjectNode();
        o.put("format", "lever-eval/1");
        ObjectNode ds = o.putObject("dataset");
        ds.put("kind", data.kind().name().toLowerCase(Locale.ROOT)).put("data_dir", data.dataDir().toString())
                .put("train_size", data.train().size()).put("val_size", data.val().size()).put("questions", data.limit());
        ObjectNode st = o.putObject("settings");
        ArrayNode ms = st.putArray("methods");
        settings.methods().forEach(m -> ms.add(m.key()));
        ArrayNode ss = st.putArray("shots");
        settings.shots().forEach(ss::add);
        st.put("pool", settings.pool().toString()).put("random_seed", settings.randomSeed()).put("stats_seed", settings.statsSeed())
                .put("bootstrap_resamples", settings.resamples()).put("permutations", settings.permutations())
                .put("confidence_level", 0.95).put("num_beams", settings.numBeams()).put("max_new_tokens", settings.maxNewTokens())
                .put("metric", "official VQA accuracy (whole file, percent)");
        o.put("reference", reference.key());
        ArrayNode rs = o.putArray("results");
        for (CellResult c : cells) {
            ObjectNode r = rs.addObject();
            r.put("method", c.method().key()).put("shots", c.shots()).put("accuracy", c.accuracy())
                    .put("mean", c.ci().mean()).put("ci_low", c.ci().lo()).put("ci_high", c.ci().hi());
            ObjectNode at = r.putObject("per_answer_type");
            c.perAnswerType().forEach(at::put);
        }
        ArrayNode cs = o.putArray("comparisons");
        for (Comparison c : comparisons) {
            cs.addObject().put("method", c.method().key()).put("shots", c.shots()).put("reference", c.reference().key())
                    .put("reference_shots", c.referenceShots()).put("mean_difference", c.paired().meanDifference())
                    .put("ci_low", c.paired().lo()).put("ci_high", c.paired().hi()).put("p_value", c.paired().pValue())
                    .put("questions", c.paired().questions());
        }
        ArrayNode qs = o.putArray("questions");
        List<VqaRecord> questions = data.questions();
        for (int i = 0; i < questions.size(); i++) {
            VqaRecord q = questions.get(i);
            ObjectNode qn = qs.addObject();
            qn.put("question_id", q.questionId()).put("question", q.question());
            ArrayNode ga = qn.putArray("answers");
            q.answers().forEach(ga::add);
            ObjectNode per = qn.putObject("results");
            for (CellResult c : cells) {
                EvalJournal.Entry e = c.entries().get(i);
                ObjectNode x = per.putObject(c.method().key() + "@" + c.shots());
                ArrayNode ic = x.putArray("icds");
                for (int id : e.icds()) ic.add(id);
                x.put("raw_generation", e.rawGeneration()).put("answer", e.answer()).put("accuracy", c.perQuestion()[i]);
            }
        }
        return o;
    }

    /** The original retriever names, for the keys of its metrics file. */
    static String originalName(Method m) {
        return switch (m) {
            case SELECTOR -> "LeverLMRetriever";
            case ZERO -> "ZeroRetriever";
            case RANDOM -> "RandRetriever";
            case I2I -> "MMTopKRetriever-i2i";
            case I2T -> "MMTopKRetriever-i2t";
            case T2T -> "MMTopKRetriever-t2t";
            case MIX -> "MixRetriever";
        };
    }

    /**
     * The original's metrics file: {@code {"<timestamp>-test_data_num=N-<Retriever>": {"shot_num=k": accuracy}}} with
     * accuracies as fractions (the original divides percentages by 100).
     */
    public ObjectNode originalMetrics(String timestamp) {
        ObjectNode o = JsonSupport.mapper().createObjectNode();
        for (Method m : settings.methods()) {
            ObjectNode e = o.putObject(timestamp + "-test_data_num=" + data.limit() + "-" + originalName(m));
            for (CellResult c : cells) if (c.method() == m) e.put("shot_num=" + c.shots(), c.accuracy() / 100);
        }
        return o;
    }

    /** A plain-text table for the terminal. */
    public String table() {
        StringBuilder sb = new StringBuilder();
        sb.append(String.format(Locale.ROOT, "%-9s %5s %8s  %-17s %s%n", "method", "shots", "acc %", "95% CI", "vs " + reference.key() + " (diff, 95% CI, p)"));
        for (CellResult c : cells) {
            String cmp = "";
            for (Comparison x : comparisons)
                if (x.method() == c.method() && x.shots() == c.shots())
                    cmp += String.format(Locale.ROOT, " @%d: %+.2f [%+.2f, %+.2f] p=%.3g", x.referenceShots(), x.paired().meanDifference(),
                            x.paired().lo(), x.paired().hi(), x.paired().pValue());
            sb.append(String.format(Locale.ROOT, "%-9s %5d %8.2f  [%6.2f, %6.2f]  %s%n", c.method().key(), c.shots(), c.accuracy(),
                    c.ci().lo(), c.ci().hi(), cmp.trim()));
        }
        return sb.toString();
    }
}
