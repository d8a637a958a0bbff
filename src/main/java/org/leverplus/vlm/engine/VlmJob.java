package org.leverplus.vlm.engine;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.leverplus.metric.AnswerExtraction;
import org.leverplus.torch.TorchRuntime;
import org.leverplus.vlm.Qwen25VlSnapshot;
import org.leverplus.vlm.model.Qwen25VlModel;
import org.leverplus.vlm.text.QwenTokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A request file opened for scoring or generation: the snapshot loaded once, then any range of requests turned into
 * their output lines. {@link VlmRun} walks the ranges {@code [i*chunk, (i+1)*chunk)} in order on one machine; the
 * Spark runner hands the same ranges to tasks, so both produce the same lines for the same requests.
 */
public final class VlmJob implements AutoCloseable {
    /** What the job computes per request. */
    public enum Kind { SCORE, GENERATE }

    private final Kind kind;
    private final VlmRun.Settings settings;
    private final GenerationSettings generation;
    private final RequestSource requests;
    private final Qwen25VlModel model;
    private final VlmEngine engine;
    private final QwenTokenizer tokenizer;
    private final ObjectMapper json = new ObjectMapper();

    private VlmJob(Kind kind, VlmRun.Settings settings, GenerationSettings generation, RequestSource requests,
                   Qwen25VlModel model, VlmEngine engine, QwenTokenizer tokenizer) {
        this.kind = kind;
        this.settings = settings;
        this.generation = generation;
        this.requests = requests;
        this.model = model;
        this.engine = engine;
        this.tokenizer = tokenizer;
    }

    /** Opens the snapshot and the request file; {@code generation} is required for {@link Kind#GENERATE}. */
    public static VlmJob open(Kind kind, Path snapshotDir, Path requestFile, VlmRun.Settings s, GenerationSettings generation)
            throws IOException {
        if (kind == Kind.GENERATE && generation == null) throw new IllegalArgumentException("generation settings are required");
        TorchRuntime.init();
        Qwen25VlSnapshot snap = Qwen25VlSnapshot.open(snapshotDir);
        RequestSource reqs = VlmRun.open(requestFile, snap, kind == Kind.SCORE);
        Qwen25VlModel model = null;
        VlmEngine engine = null;
        try {
            model = Qwen25VlModel.load(snap, s.model());
            engine = new VlmEngine(model, s.engine());
            Path tok = snapshotDir.resolve(Qwen25VlSnapshot.TOKENIZER_FILE);
            QwenTokenizer tokenizer = kind == Kind.GENERATE && Files.isRegularFile(tok) ? QwenTokenizer.load(tok) : null;
            return new VlmJob(kind, s, generation, reqs, model, engine, tokenizer);
        } catch (IOException | RuntimeException e) {
            if (engine != null) engine.close();
            if (model != null) model.close();
            reqs.close();
            throw e;
        }
    }

    public Kind kind() { return kind; }

    /** Number of requests in the file. */
    public int size() { return requests.size(); }

    /** Requests read and scheduled together (the unit of work of a run). */
    public int chunk() { return settings.chunk(); }

    public VlmEngine engine() { return engine; }

    /**
     * The output lines (JSON, no newline) of requests {@code [from, to)}, in request order. They depend on these
     * requests alone, not on the ranges computed before ({@link VlmEngine#resetPromptState}: without it, a range
     * computed after another was batched differently and differed by up to 1e-4 in a log-prob, measured). That is
     * what lets a Spark task compute any range anywhere and still write the bytes of a one-machine run.
     */
    public List<String> lines(int from, int to) throws IOException {
        engine.resetPromptState();
        List<RequestSource.Entry> part = requests.load(from, to);
        VlmRun.checkTokenIds(part, model.dims().vocab());
        List<String> out = new ArrayList<>(part.size());
        if (kind == Kind.SCORE) {
            List<ScoreRequest> sr = new ArrayList<>();
            for (RequestSource.Entry e : part) sr.add(e.scoreRequest());
            List<AnswerScore> res = new VlmScorer(engine).score(sr);
            for (int k = 0; k < part.size(); k++) {
                ObjectNode o = json.createObjectNode();
                AnswerScore a = res.get(k);
                o.put("id", part.get(k).id());
                o.put("logprob_sum", a.sum());
                o.put("logprob_mean", a.mean());
                o.put("prob", a.probability());
                ArrayNode tl = o.putArray("token_logprobs");
                for (double v : a.tokenLogprobs()) tl.add(v);
                out.add(json.writeValueAsString(o));
            }
        } else {
            List<Prompt> prompts = new ArrayList<>();
            for (RequestSource.Entry e : part) prompts.add(e.prompt());
            List<Generation> res = new VlmGenerator(engine).generate(prompts, generation);
            for (int k = 0; k < part.size(); k++) {
                ObjectNode o = json.createObjectNode();
                Generation g = res.get(k);
                o.put("id", part.get(k).id());
                ArrayNode ta = o.putArray("tokens");
                for (int t : g.tokens()) ta.add(t);
                o.put("score", g.score());
                if (tokenizer != null) {
                    String text = tokenizer.decode(g.tokens(), true);
                    o.put("raw_generation", text);
                    o.put("answer", AnswerExtraction.extract(text));
                }
                out.add(json.writeValueAsString(o));
            }
        }
        return out;
    }

    @Override public void close() {
        try {
            if (tokenizer != null) tokenizer.close();
        } finally {
            try {
                engine.close();
            } finally {
                try {
                    model.close();
                } finally {
                    requests.close();
                }
            }
        }
    }
}
