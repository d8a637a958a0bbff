package org.leverplus.vlm.engine;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.leverplus.io.AtomicOutput;
import org.leverplus.vlm.Qwen25VlSnapshot;
import org.leverplus.vlm.model.ModelOptions;

import java.io.BufferedWriter;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
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
        return run(VlmJob.Kind.SCORE, snapshotDir, requests, out, s, null, progress);
    }

    public static Summary generate(Path snapshotDir, Path requests, Path out, Settings s, GenerationSettings gen, PrintStream progress) throws IOException {
        return run(VlmJob.Kind.GENERATE, snapshotDir, requests, out, s, gen, progress);
    }

    private static Summary run(VlmJob.Kind kind, Path snapshotDir, Path requests, Path out, Settings s, GenerationSettings gen,
                               PrintStream progress) throws IOException {
        checkOut(out, s.overwrite());
        try (VlmJob job = VlmJob.open(kind, snapshotDir, requests, s, gen)) {
            int total = job.size();
            long t0 = System.nanoTime();
            String what = kind == VlmJob.Kind.SCORE ? "vlm score" : "vlm generate";
            try (org.leverplus.io.Progress bar = org.leverplus.io.Progress.start(progress == null ? null : what, progress == null ? -1 : total, "prompts")) {
                return writeAtomically(out, s.overwrite(), w -> {
                    for (int i = 0; i < total; i += job.chunk()) {
                        int to = Math.min(total, i + job.chunk());
                        for (String line : job.lines(i, to)) {
                            w.write(line);
                            w.newLine();
                        }
                        bar.advance(to - i);
                    }
                    return summary(total, t0, job.engine());
                });
            }
        }
    }

    /**
     * Opens a request file by its first record: token-level lines ({@code input_ids}, {@link TokenRequests}) or
     * Lever-Plus-level lines ({@code icds}/{@code query}, {@link VqaRequests}, which need the snapshot's tokenizer).
     */
    public static RequestSource open(Path requests, Qwen25VlSnapshot snapshot, boolean teacherForced) throws IOException {
        org.leverplus.io.Inputs.requireFile(requests, "requests file");
        String first = null;
        try (java.io.BufferedReader r = Files.newBufferedReader(requests)) {
            for (String l; (l = r.readLine()) != null; ) if (!l.isBlank()) { first = l; break; }
        }
        if (first == null) throw new IllegalArgumentException(requests + ": no requests");
        com.fasterxml.jackson.databind.JsonNode n;
        try {
            n = new ObjectMapper().readTree(first);
        } catch (IOException e) {
            throw new IllegalArgumentException(requests + " line 1: not valid JSON: " + org.leverplus.io.JsonSupport.describe(e));
        }
        if (n.has("input_ids")) return new TokenRequests(requests);
        if (n.has("query")) return new VqaRequests(requests, snapshot, teacherForced);
        throw new IllegalArgumentException(requests + " line 1: expected \"input_ids\" (token-level request) or \"query\" (Lever-Plus request)");
    }

    /**
     * The ids that end generation, as Lever-Plus passes them: {@code generate(..., eos_token_id=tokenizer.eos_token_id)},
     * i.e. the one {@code eos_token} of {@code tokenizer_config.json} ({@code <|im_end|>} for the Instruct checkpoints),
     * which overrides generation_config.json's list (that also holds {@code <|endoftext|>}). A snapshot without a
     * tokenizer_config.json eos token falls back to generation_config.json's ids plus config.json's.
     */
    public static Set<Integer> eosIds(Path snapshotDir) throws IOException {
        Qwen25VlSnapshot snap = Qwen25VlSnapshot.open(snapshotDir);
        Integer tokenizerEos = tokenizerEosId(snap);
        if (tokenizerEos != null) return Set.of(tokenizerEos);
        Set<Integer> eos = new HashSet<>(snap.config().eosTokenIds());
        if (Files.isRegularFile(snapshotDir.resolve("generation_config.json"))) eos.addAll(snap.generationConfig().eosTokenIds());
        return eos;
    }

    /** The id of tokenizer_config.json's {@code eos_token} (a string or {"content": ...}) in tokenizer.json, or null. */
    static Integer tokenizerEosId(Qwen25VlSnapshot snap) throws IOException {
        java.util.Optional<Path> cfg = snap.tokenizerConfigJson();
        if (cfg.isEmpty()) return null;
        ObjectMapper json = new ObjectMapper();
        com.fasterxml.jackson.databind.JsonNode t;
        try {
            t = json.readTree(cfg.get().toFile()).path("eos_token");
        } catch (IOException e) {
            throw new IllegalArgumentException(cfg.get() + ": not valid JSON: " + org.leverplus.io.JsonSupport.describe(e));
        }
        String token = t.isTextual() ? t.asText() : t.path("content").isTextual() ? t.path("content").asText() : null;
        if (token == null) return null;
        Path tj = snap.tokenizerJson();
        for (com.fasterxml.jackson.databind.JsonNode a : json.readTree(tj.toFile()).path("added_tokens"))
            if (token.equals(a.path("content").asText(null)) && a.path("id").canConvertToInt()) return a.path("id").asInt();
        throw new IllegalArgumentException(cfg.get() + ": eos_token \"" + token + "\" is not an added token of " + tj);
    }

    private static Summary summary(int n, long t0, VlmEngine e) {
        return new Summary(n, (System.nanoTime() - t0) / 1e9, e.visionCalls(), e.prefixHits(), e.prefixMisses());
    }

    /** Token ids checked against the vocabulary before any native call (LibTorch would print a C++ back-trace). */
    static void checkTokenIds(List<RequestSource.Entry> part, int vocab) {
        for (RequestSource.Entry e : part) {
            int[] ids = e.prompt().ids();
            for (int i = 0; i < ids.length; i++)
                if (ids[i] < 0 || ids[i] >= vocab)
                    throw new IllegalArgumentException(e.where() + " (id " + e.id() + "): token id " + ids[i] + " at position " + i
                            + " is outside the model's vocabulary of " + vocab);
        }
    }

    private static void checkOut(Path out, boolean overwrite) throws IOException {
        AtomicOutput.checkTarget(out.toAbsolutePath(), overwrite);
    }

    private interface Body { Summary run(BufferedWriter w) throws IOException; }

    private static Summary writeAtomically(Path out, boolean overwrite, Body body) throws IOException {
        try (AtomicOutput o = AtomicOutput.create(out, overwrite)) {
            BufferedWriter w = new BufferedWriter(new java.io.OutputStreamWriter(o.stream(), java.nio.charset.StandardCharsets.UTF_8));
            Summary s = body.run(w);
            w.flush();
            o.commit();
            return s;
        }
    }
}
