package org.leverplus.vlm.engine;

import org.leverplus.metric.AnswerExtraction;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.leverplus.torch.TorchRuntime;
import org.leverplus.vlm.Qwen25VlSnapshot;
import org.leverplus.vlm.model.ModelOptions;
import org.leverplus.vlm.model.Qwen25VlModel;
import org.leverplus.vlm.text.QwenTokenizer;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * File-to-file scoring and generation behind {@code lever vlm score} / {@code lever vlm generate}: loads the snapshot,
 * processes the requests in chunks with a progress line, writes JSON Lines atomically and returns a summary.
 */
public final class VlmRun {
    /** What a run did. */
    public record Summary(int prompts, double seconds, long visionCalls, long prefixHits, long prefixMisses) {
        public double promptsPerSecond() { return prompts / Math.max(seconds, 1e-9); }

        @Override public String toString() {
            return String.format("%d prompts in %.2f s (%.2f prompts/s); vision passes %d, prefix cache %d hits / %d misses",
                    prompts, seconds, promptsPerSecond(), visionCalls, prefixHits, prefixMisses);
        }
    }

    /** Run settings: model precision/device, engine switches, requests per chunk, overwrite permission. */
    public record Settings(ModelOptions model, EngineOptions engine, int chunk, boolean overwrite) {
        public Settings {
            if (chunk < 1) throw new IllegalArgumentException("chunk must be >= 1, got " + chunk);
        }
    }

    private VlmRun() {}

    public static Summary score(Path snapshotDir, Path requests, Path out, Settings s, PrintStream progress) throws IOException {
        checkOut(out, s.overwrite());
        TorchRuntime.init();
        ObjectMapper json = new ObjectMapper();
        Qwen25VlSnapshot snap = Qwen25VlSnapshot.open(snapshotDir);
        try (RequestSource reqs = open(requests, snap, true);
             Qwen25VlModel model = Qwen25VlModel.load(snap, s.model());
             VlmEngine engine = new VlmEngine(model, s.engine())) {
            VlmScorer scorer = new VlmScorer(engine);
            int total = reqs.size();
            long t0 = System.nanoTime();
            return writeAtomically(out, w -> {
                for (int i = 0; i < total; i += s.chunk()) {
                    List<RequestSource.Entry> part = reqs.load(i, Math.min(total, i + s.chunk()));
                    List<ScoreRequest> sr = new ArrayList<>();
                    for (RequestSource.Entry e : part) sr.add(e.scoreRequest());
                    List<AnswerScore> res = scorer.score(sr);
                    for (int k = 0; k < part.size(); k++) {
                        ObjectNode o = json.createObjectNode();
                        AnswerScore a = res.get(k);
                        o.put("id", part.get(k).id());
                        o.put("logprob_sum", a.sum());
                        o.put("logprob_mean", a.mean());
                        o.put("prob", a.probability());
                        ArrayNode tl = o.putArray("token_logprobs");
                        for (double v : a.tokenLogprobs()) tl.add(v);
                        w.write(json.writeValueAsString(o));
                        w.newLine();
                    }
                    progress(progress, "score", i + part.size(), total, t0);
                }
                return summary(total, t0, engine);
            });
        }
    }

    public static Summary generate(Path snapshotDir, Path requests, Path out, Settings s, GenerationSettings gen, PrintStream progress) throws IOException {
        checkOut(out, s.overwrite());
        TorchRuntime.init();
        ObjectMapper json = new ObjectMapper();
        Qwen25VlSnapshot snap = Qwen25VlSnapshot.open(snapshotDir);
        Path tok = snapshotDir.resolve(Qwen25VlSnapshot.TOKENIZER_FILE);
        try (RequestSource reqs = open(requests, snap, false);
             Qwen25VlModel model = Qwen25VlModel.load(snap, s.model());
             VlmEngine engine = new VlmEngine(model, s.engine());
             QwenTokenizer tokenizer = Files.isRegularFile(tok) ? QwenTokenizer.load(tok) : null) {
            VlmGenerator generator = new VlmGenerator(engine);
            int total = reqs.size();
            long t0 = System.nanoTime();
            return writeAtomically(out, w -> {
                for (int i = 0; i < total; i += s.chunk()) {
                    List<RequestSource.Entry> part = reqs.load(i, Math.min(total, i + s.chunk()));
                    List<Prompt> prompts = new ArrayList<>();
                    for (RequestSource.Entry e : part) prompts.add(e.prompt());
                    List<Generation> res = generator.generate(prompts, gen);
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
                        w.write(json.writeValueAsString(o));
                        w.newLine();
                    }
                    progress(progress, "generate", i + part.size(), total, t0);
                }
                return summary(total, t0, engine);
            });
        }
    }

    /**
     * Opens a request file by its first record: token-level lines ({@code input_ids}, {@link TokenRequests}) or
     * Lever-Plus-level lines ({@code icds}/{@code query}, {@link VqaRequests}, which need the snapshot's tokenizer).
     */
    public static RequestSource open(Path requests, Qwen25VlSnapshot snapshot, boolean teacherForced) throws IOException {
        String first = null;
        try (java.io.BufferedReader r = Files.newBufferedReader(requests)) {
            for (String l; (l = r.readLine()) != null; ) if (!l.isBlank()) { first = l; break; }
        }
        if (first == null) throw new IllegalArgumentException(requests + ": no requests");
        com.fasterxml.jackson.databind.JsonNode n;
        try {
            n = new ObjectMapper().readTree(first);
        } catch (IOException e) {
            throw new IllegalArgumentException(requests + " line 1: not valid JSON: " + e.getMessage());
        }
        if (n.has("input_ids")) return new TokenRequests(requests);
        if (n.has("query")) return new VqaRequests(requests, snapshot, teacherForced);
        throw new IllegalArgumentException(requests + " line 1: expected \"input_ids\" (token-level request) or \"query\" (Lever-Plus request)");
    }

    /** The eos ids of a snapshot: generation_config.json's, else config.json's. */
    public static Set<Integer> eosIds(Path snapshotDir) throws IOException {
        Qwen25VlSnapshot snap = Qwen25VlSnapshot.open(snapshotDir);
        Set<Integer> eos = new HashSet<>(snap.config().eosTokenIds());
        if (Files.isRegularFile(snapshotDir.resolve("generation_config.json"))) eos.addAll(snap.generationConfig().eosTokenIds());
        return eos;
    }

    private static Summary summary(int n, long t0, VlmEngine e) {
        return new Summary(n, (System.nanoTime() - t0) / 1e9, e.visionCalls(), e.prefixHits(), e.prefixMisses());
    }

    private static void progress(PrintStream p, String what, int done, int total, long t0) {
        if (p == null) return;
        double s = (System.nanoTime() - t0) / 1e9;
        int bar = total == 0 ? 30 : (int) (30L * done / total);
        p.printf("\r%s [%s%s] %d/%d  %.2f prompts/s", what, "#".repeat(bar), ".".repeat(30 - bar), done, total, done / Math.max(s, 1e-9));
        if (done == total) p.println();
        p.flush();
    }

    private static void checkOut(Path out, boolean overwrite) throws IOException {
        if (Files.exists(out) && !overwrite) throw new FileAlreadyExistsException(out + " exists (use --overwrite to replace it)");
    }

    private interface Body { Summary run(BufferedWriter w) throws IOException; }

    private static Summary writeAtomically(Path out, Body body) throws IOException {
        Path dir = out.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = Files.createTempFile(dir, "." + out.getFileName(), ".tmp");
        try {
            Summary s;
            try (BufferedWriter w = Files.newBufferedWriter(tmp)) {
                s = body.run(w);
            }
            Files.move(tmp, out, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            return s;
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
