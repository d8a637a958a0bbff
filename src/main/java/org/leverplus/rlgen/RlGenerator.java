package org.leverplus.rlgen;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.leverplus.data.Embeddings;
import org.leverplus.data.RlDataWriter;
import org.leverplus.data.RlQuery;
import org.leverplus.selector.Tensors;
import org.leverplus.vlm.engine.Generation;
import org.leverplus.vlm.engine.GenerationSettings;
import org.leverplus.vlm.engine.ImageInput;
import org.leverplus.vlm.engine.Prompt;
import org.leverplus.vlm.engine.ScoreRequest;
import org.leverplus.vlm.engine.VlmEngine;
import org.leverplus.vlm.engine.VlmGenerator;
import org.leverplus.vlm.engine.VlmScorer;
import org.leverplus.vlm.image.ImageGrid;
import org.leverplus.vlm.image.ProcessedImage;
import org.leverplus.vlm.image.QwenImageProcessor;
import org.leverplus.vlm.text.IcdPromptBuilder;
import org.leverplus.vlm.text.PromptTokens;
import org.leverplus.vlm.text.QwenTokenizer;
import org.leverplus.vlm.text.VqaItem;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * {@code lever generate rl}: for each query, propose candidate ICD sequences ({@link Proposals}), let the VLM answer
 * with each (all candidates of a chunk of queries in one batched generation: 3 beams, 5 new tokens, length penalty
 * 0), label every answer with the official metric ({@link CandidateLabel}), score {@code vqa_gt_prob} by teacher
 * forcing each distinct normalised human answer (exact answer spans), and write RL data in the k64 format.
 *
 * <p>With a pools file the query is removed from its own pool (the original kept it there and only excluded its
 * position); with the full dataset as pool its position is excluded and pointers are global ids.
 *
 * <p>Work is journalled a chunk at a time ({@link Journal}); a rerun skips finished queries, and the output is
 * assembled from the journal in query order, so a resumed run writes the same bytes as an uninterrupted one.
 * Chunks are fixed slices of the full query list and shards are contiguous runs of whole chunks, so every query is
 * batched with the same neighbours in every run, shard or resume. Nothing depends on the clock: no timestamps.
 */
public final class RlGenerator {

    /**
     * @param shots         ICDs per candidate sequence (2)
     * @param proposers     comma-separated proposer names
     * @param proposal      per-proposer settings
     * @param seed          seed of every query's random stream
     * @param chunk         queries generated together
     * @param allowFallback keep ungradable candidates with the fallback label instead of dropping them
     * @param shard         0-based shard index
     * @param shards        number of shards
     * @param limit         at most this many queries of the list (0 = all), before sharding
     */
    public record Settings(int shots, String proposers, Proposals.Settings proposal, long seed, int chunk,
                           boolean allowFallback, int shard, int shards, int limit) {
        public Settings {
            if (shots < 1) throw new IllegalArgumentException("--shots must be >= 1, got " + shots);
            if (chunk < 1) throw new IllegalArgumentException("--chunk must be >= 1, got " + chunk);
            if (shards < 1 || shard < 0 || shard >= shards) throw new IllegalArgumentException("--shard must be i/n with 0 <= i < n, got " + shard + "/" + shards);
            if (limit < 0) throw new IllegalArgumentException("--limit must be >= 0, got " + limit);
        }
    }

    /** The VLM side: engine, tokenizer, prompt builder, image processor and decoding settings. */
    public record Vlm(VlmEngine engine, QwenTokenizer tokenizer, IcdPromptBuilder builder, QwenImageProcessor images,
                      GenerationSettings generation, String name) {}

    /** Counts of a run, summed over the journal (so a resumed run reports the whole run). */
    public static final class Summary {
        long queries, written, skipped, proposed, kept, positives;
        final Map<String, Long> dropped = new TreeMap<>(), modes = new TreeMap<>(), skippedBy = new TreeMap<>();
        double seconds;
        long generatedNow;

        void add(JsonNode rec) {
            queries++;
            JsonNode s = rec.get("stats");
            proposed += s.get("proposed").asLong();
            kept += s.get("kept").asLong();
            positives += s.get("positives").asLong();
            s.get("dropped").fields().forEachRemaining(e -> dropped.merge(e.getKey(), e.getValue().asLong(), Long::sum));
            s.get("modes").fields().forEachRemaining(e -> modes.merge(e.getKey(), e.getValue().asLong(), Long::sum));
            if (rec.get("value").isNull()) {
                skipped++;
                skippedBy.merge(s.get("skip_reason").asText(), 1L, Long::sum);
            } else written++;
        }

        public long queries() { return queries; }
        public long written() { return written; }
        public long kept() { return kept; }
        public long positives() { return positives; }
        public Map<String, Long> dropped() { return dropped; }
        public Map<String, Long> modes() { return modes; }

        ObjectNode toJson() {
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            o.put("queries_seen", queries);
            o.put("queries_written", written);
            o.put("queries_skipped", skipped);
            ObjectNode sb = o.putObject("queries_skipped_by_reason");
            skippedBy.forEach(sb::put);
            o.put("candidates_proposed", proposed);
            o.put("candidates_kept", kept);
            ObjectNode d = o.putObject("candidates_dropped_by_reason");
            dropped.forEach(d::put);
            ObjectNode m = o.putObject("candidates_by_eval_mode");
            modes.forEach(m::put);
            o.put("positive_candidates", positives);
            o.put("positive_ratio", kept == 0 ? 0.0 : (double) positives / kept);
            return o;
        }

        @Override public String toString() {
            return "queries " + written + " written / " + queries + " seen (skipped " + skippedBy + "), candidates " + kept
                    + " kept / " + proposed + " proposed (dropped " + dropped + "), eval modes " + modes
                    + String.format(", positive ratio %.3f", kept == 0 ? 0.0 : (double) positives / kept);
        }
    }

    private final GenDataset data;
    private final Map<Integer, int[]> pools;      // null: the full dataset is every query's pool
    private final List<Integer> queryIds;
    private final Embeddings embeddings;
    private final Proposals proposals;
    private final AnswerSources answers;
    private final Vlm vlm;
    private final Settings s;

    public RlGenerator(GenDataset data, Map<Integer, int[]> pools, List<Integer> queryIds, Embeddings embeddings,
                       Proposals proposals, AnswerSources answers, Vlm vlm, Settings s) {
        if (embeddings.rows() != data.size())
            throw new IllegalArgumentException("the embeddings have " + embeddings.rows() + " rows but the dataset has " + data.size() + " items");
        for (int q : queryIds) data.get(q);
        if (pools != null) for (int[] p : pools.values()) for (int id : p) data.get(id);
        this.data = data;
        this.pools = pools;
        this.queryIds = List.copyOf(queryIds);
        this.embeddings = embeddings;
        this.proposals = proposals;
        this.answers = answers;
        this.vlm = vlm;
        this.s = s;
    }

    /** This shard's slice of the query list: whole chunks, contiguous. */
    public List<Integer> shardQueries() {
        List<Integer> all = s.limit() > 0 && s.limit() < queryIds.size() ? queryIds.subList(0, s.limit()) : queryIds;
        int chunks = (all.size() + s.chunk() - 1) / s.chunk();
        int from = (int) ((long) s.shard() * chunks / s.shards()) * s.chunk(), to = (int) ((long) (s.shard() + 1) * chunks / s.shards()) * s.chunk();
        return all.subList(Math.min(from, all.size()), Math.min(to, all.size()));
    }

    /** Runs (or resumes) the generation and writes {@code out} atomically; the journal is removed after the commit. */
    public Summary run(Path out, Path journalFile, ObjectNode runSettings, boolean overwrite, PrintStream progress) throws IOException {
        if (Files.exists(out) && !overwrite) throw new IllegalArgumentException(out + " exists (pass --overwrite to replace it)");
        List<Integer> mine = shardQueries();
        long t0 = System.nanoTime();
        Summary now = new Summary();
        try (Journal j = Journal.open(journalFile, runSettings)) {
            int resumed = 0, chunksNow = 0;
            for (int q : mine) if (j.done().containsKey(Integer.toString(q))) resumed++;
            if (resumed > 0 && progress != null) progress.println("generate rl: resuming, " + resumed + " of " + mine.size() + " queries already done");
            for (int c = 0; c < mine.size(); c += s.chunk()) {
                List<Integer> chunk = new ArrayList<>();
                for (int q : mine.subList(c, Math.min(mine.size(), c + s.chunk())))
                    if (!j.done().containsKey(Integer.toString(q))) chunk.add(q);
                if (chunk.isEmpty()) continue;
                List<ObjectNode> recs = processChunk(chunk);
                j.append(recs);
                for (ObjectNode r : recs) now.add(r);
                progress(progress, now, j.done().size(), mine.size(), resumed, t0);
                if (++chunksNow == Integer.getInteger("lever.rlgen.stopAfterChunks", -1))                  // test hook: a crash right after a journal write
                    throw new IllegalStateException("stopped after " + chunksNow + " chunks (lever.rlgen.stopAfterChunks)");
            }
            Summary total = new Summary();
            try (RlDataWriter w = RlDataWriter.open(out, overwrite)) {
                for (int q : mine) {
                    JsonNode rec = j.done().get(Integer.toString(q));
                    total.add(rec);
                    if (!rec.get("value").isNull()) w.entry(Integer.toString(q), rec.get("value"));
                }
                ObjectNode meta = runSettings.deepCopy();
                meta.put("generator", "lever generate rl");
                meta.set("summary", total.toJson());
                w.meta(meta);
                w.commit();
            }
            total.seconds = (System.nanoTime() - t0) / 1e9;
            total.generatedNow = now.queries;
            Files.deleteIfExists(journalFile);
            return total;
        }
    }

    /**
     * The journal records of one chunk of queries (a slice of {@link #shardQueries} at a multiple of the chunk size,
     * as {@link #run} forms them), as the journal's JSON lines: a distributed run's task computes a chunk with this and
     * the driver adds the lines with {@link #importJournal} before {@link #run} assembles the output.
     */
    public List<String> journalLines(List<Integer> chunk) throws IOException {
        List<String> lines = new ArrayList<>();
        for (ObjectNode r : processChunk(chunk)) lines.add(Journal.text(r));
        return lines;
    }

    /**
     * Adds journal lines computed elsewhere ({@link #journalLines}) to {@code journalFile} (created with
     * {@code runSettings}, or checked against them), skipping queries it already holds.
     * @throws IllegalArgumentException naming the line that is not a journal record
     */
    public static void importJournal(Path journalFile, ObjectNode runSettings, List<String> lines) throws IOException {
        try (Journal j = Journal.open(journalFile, runSettings)) {
            List<JsonNode> add = new ArrayList<>();
            java.util.Set<String> seen = new java.util.HashSet<>(j.done().keySet());
            for (String l : lines) {
                JsonNode n;
                try {
                    n = Journal.parse(l);
                } catch (IOException e) {
                    throw new IllegalArgumentException("RL journal line: not valid JSON: " + e.getMessage());
                }
                if (n == null || !n.hasNonNull("key") || !n.has("value") || !(n.get("stats") instanceof ObjectNode))
                    throw new IllegalArgumentException("RL journal line: expected {\"key\", \"value\", \"stats\"} but found " + l);
                if (seen.add(n.get("key").asText())) add.add(n);
            }
            if (!add.isEmpty()) j.append(add);
        }
    }

    private static void progress(PrintStream p, Summary now, int done, int total, int resumed, long t0) {
        if (p == null) return;
        double sec = (System.nanoTime() - t0) / 1e9;
        double qps = now.queries / Math.max(sec, 1e-9);
        double eta = qps > 0 ? (total - done) / qps : Double.NaN;
        p.printf("generate rl: %d/%d queries, %.3f queries/s, %.2f candidates/s, positive ratio %.3f, kept %d/%d candidates, ETA %.0f s%n",
                done, total, qps, now.kept / Math.max(sec, 1e-9), now.kept == 0 ? 0.0 : (double) now.positives / now.kept,
                now.kept, now.proposed, eta);
    }

    // ------------------------------------------------------------------ one chunk

    private record Pending(int query, int[] pool, List<CandidateSequence> cands, AnswerSources.Found found, List<String> refs,
                           int firstPrompt, ObjectNode stats) {}

    /** Journal records for a chunk of queries (in the chunk's order). */
    List<ObjectNode> processChunk(List<Integer> chunk) throws IOException {
        if (vlm == null || proposals == null)
            throw new IllegalStateException("queries " + chunk + " are not in the journal and this generator has no models");
        // Prefix KV caches and the image numbering left by earlier chunks would change how this chunk's prompts are
        // ordered and split into passes (and so the last bits of the results): every chunk starts without them.
        vlm.engine().resetPromptState();
        // No TensorScope around the VLM calls: the engine and model keep lazily built tensors (caches) that must
        // outlive this chunk; the engine scopes its own temporaries. Image inputs are owned by the GC, as in VlmRun.
        {
            Map<Path, ImageInput> images = new HashMap<>();
            List<Pending> pending = new ArrayList<>();
            List<Prompt> prompts = new ArrayList<>();
            List<ObjectNode> recs = new ArrayList<>();
            Map<Integer, ObjectNode> byQuery = new HashMap<>();
            for (int q : chunk) {
                GenItem item = data.get(q);
                int[] pool = poolOf(q);
                boolean[] excluded = new boolean[pool.length];
                float[][] pe = new float[pool.length][];
                for (int j = 0; j < pool.length; j++) { excluded[j] = pool[j] == q; pe[j] = embeddings.row(pool[j]); }
                ObjectNode stats = JsonNodeFactory.instance.objectNode();
                // no TensorScope here either: with one, the selector's parameters were released after some chunks
                // (a crash in PointerSelector.attentionLayer); its small temporaries are left to the GC
                List<CandidateSequence> cands = proposals.propose(new ProposalContext(embeddings.row(q), pe, excluded, s.shots(),
                        ProposalContext.randomFor(s.seed(), Integer.toString(q))));
                AnswerSources.Found found = answers.find(item.annotationKey());
                List<String> refs = item.answer() == null ? List.of() : List.of(item.answer());
                stats.put("proposed", cands.size());
                if (found == null && (!s.allowFallback() || refs.isEmpty())) {
                    String reason = s.allowFallback() ? CandidateLabel.NO_REFERENCE : CandidateLabel.NO_ANNOTATION;
                    stats.put("kept", 0).put("positives", 0).put("skip_reason", reason);
                    stats.putObject("dropped").put(reason, cands.size());
                    stats.putObject("modes");
                    ObjectNode rec = record(q, null, stats);
                    byQuery.put(q, rec);
                    continue;
                }
                pending.add(new Pending(q, pool, cands, found, refs, prompts.size(), stats));
                for (CandidateSequence c : cands) prompts.add(prompt(images, item, pool, c, null).prompt);
            }
            List<Generation> gens = prompts.isEmpty() ? List.of() : new VlmGenerator(vlm.engine()).generate(prompts, vlm.generation());
            // label, then score every kept candidate's distinct answers in one batch
            List<ScoreRequest> scoreReqs = new ArrayList<>();
            List<double[]> weights = new ArrayList<>();
            List<List<ObjectNode>> keptPerQuery = new ArrayList<>();
            List<List<int[]>> spans = new ArrayList<>();
            for (Pending p : pending) {
                GenItem item = data.get(p.query());
                List<ObjectNode> kept = new ArrayList<>();
                List<int[]> reqSpan = new ArrayList<>();
                Map<String, Long> dropped = new TreeMap<>(), modes = new TreeMap<>();
                int positives = 0;
                List<String> gt = p.found() != null ? p.found().answers() : p.refs();
                Map<String, Integer> counts = CandidateLabel.answerCounts(gt);
                counts.remove("");                                  // an empty answer has no tokens to score
                for (int i = 0; i < p.cands().size(); i++) {
                    CandidateSequence c = p.cands().get(i);
                    String raw = vlm.tokenizer().decode(gens.get(p.firstPrompt() + i).tokens(), true);
                    CandidateLabel l = CandidateLabel.of(raw, p.found(), p.refs(), s.allowFallback());
                    if (l.dropped()) { dropped.merge(l.dropReason(), 1L, Long::sum); continue; }
                    ObjectNode o = candidateJson(c, p.pool());
                    o.setAll(l.fields());
                    modes.merge(l.fields().get("vqa_eval_mode").asText(), 1L, Long::sum);
                    positives += l.fields().get("vqa_correct").asInt();
                    int start = scoreReqs.size();
                    double[] w = new double[counts.size()];
                    int a = 0;
                    for (Map.Entry<String, Integer> e : counts.entrySet()) {
                        ScoreRequest r = prompt(images, item, p.pool(), c, e.getKey()).request;
                        scoreReqs.add(r);
                        w[a++] = Math.min(e.getValue() / 3.0, 1.0);
                    }
                    weights.add(w);
                    reqSpan.add(new int[]{start, scoreReqs.size()});
                    kept.add(o);
                }
                keptPerQuery.add(kept);
                spans.add(reqSpan);
                p.stats().put("kept", kept.size()).put("positives", positives);
                ObjectNode d = p.stats().putObject("dropped");
                dropped.forEach(d::put);
                ObjectNode m = p.stats().putObject("modes");
                modes.forEach(m::put);
            }
            List<org.leverplus.vlm.engine.AnswerScore> scores = scoreReqs.isEmpty() ? List.of() : new VlmScorer(vlm.engine()).score(scoreReqs);
            int wi = 0;
            for (int pi = 0; pi < pending.size(); pi++) {
                Pending p = pending.get(pi);
                List<ObjectNode> kept = keptPerQuery.get(pi);
                for (int k = 0; k < kept.size(); k++) {
                    int[] span = spans.get(pi).get(k);
                    double[] w = weights.get(wi++);
                    double sum = 0;
                    for (int r = span[0]; r < span[1]; r++) sum += scores.get(r).probability() * w[r - span[0]];
                    kept.get(k).put("vqa_gt_prob", sum);
                }
                if (kept.isEmpty()) {
                    p.stats().put("skip_reason", "no-candidates");
                    byQuery.put(p.query(), record(p.query(), null, p.stats()));
                    continue;
                }
                ObjectNode value = JsonNodeFactory.instance.objectNode();
                value.set("query", queryJson(data.get(p.query()), p.found()));
                if (pools != null) {
                    ArrayNode ids = value.putArray("candidate_pool_ids");
                    for (int id : p.pool()) ids.add(id);
                }
                ArrayNode arr = value.putArray("pointer_candidates");
                kept.forEach(arr::add);
                byQuery.put(p.query(), record(p.query(), value, p.stats()));
            }
            for (int q : chunk) recs.add(byQuery.get(q));
            return recs;
        }
    }

    private static ObjectNode record(int q, ObjectNode value, ObjectNode stats) {
        ObjectNode r = JsonNodeFactory.instance.objectNode();
        r.put("key", Integer.toString(q));
        if (value == null) r.putNull("value"); else r.set("value", value);
        r.set("stats", stats);
        return r;
    }

    private int[] poolOf(int q) {
        if (pools == null) {
            int[] all = new int[data.size()];
            for (int i = 0; i < all.length; i++) all[i] = i;
            return all;
        }
        int[] p = pools.get(q);
        if (p == null) throw new IllegalArgumentException("query " + q + " has no pool in the pools file");
        return java.util.Arrays.stream(p).filter(id -> id != q).toArray();   // a query is never in its own pool
    }

    private ObjectNode candidateJson(CandidateSequence c, int[] pool) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        int[] pos = c.positions();
        ArrayNode ptr = o.putArray("pointer");
        if (pools != null) {
            for (int x : pos) ptr.add(x);
            ArrayNode g = o.putArray("pointer_global");
            for (int x : pos) g.add(pool[x]);
        } else {
            for (int x : pos) ptr.add(pool[x]);
            ArrayNode pp = o.putArray("pointer_pos");
            for (int x : pos) pp.add(x);
        }
        o.put("gen_method", c.method());
        if (c.beamRank() != null) o.put("beam_rank", c.beamRank());
        if (c.beamScore() != null) o.put("beam_score", c.beamScore());
        if (c.logprobScore() != null) o.put("logprob_score", c.logprobScore());
        if (c.temperature() != null) o.put("temperature", c.temperature());
        if (c.similarityScore() != null) o.put("similarity_score", c.similarityScore());
        return o;
    }

    private static ObjectNode queryJson(GenItem item, AnswerSources.Found found) {
        ObjectNode q = JsonNodeFactory.instance.objectNode();
        q.put("query_id", item.idx());
        if (item.questionId() != null) q.put("question_id", item.questionId());
        if (item.imageId() != null) q.put("image_id", item.imageId());
        q.put("question", item.question());
        if (found != null) {
            ArrayNode raw = q.putArray("gt_answers_raw");
            found.answers().forEach(raw::add);
            ArrayNode norm = q.putArray("gt_answers_norm");
            CandidateLabel.normalised(found.answers()).forEach(norm::add);
        }
        return q;
    }

    private record Built(Prompt prompt, ScoreRequest request) {}

    /** The candidate's prompt: generation when {@code answer} is null, else teacher-forced with that answer. */
    private Built prompt(Map<Path, ImageInput> images, GenItem query, int[] pool, CandidateSequence c, String answer) throws IOException {
        List<VqaItem> icds = new ArrayList<>();
        List<ImageInput> ims = new ArrayList<>();
        for (int x : c.positions()) {
            GenItem icd = data.get(pool[x]);
            if (icd.answer() == null) throw new IllegalArgumentException("ICD id " + icd.idx() + " has no answer to show (items file: add \"answer\" or \"answers\")");
            ImageInput im = image(images, icd);
            ims.add(im);
            icds.add(new VqaItem(grid(im), icd.question(), icd.answer()));
        }
        ImageInput qi = image(images, query);
        ims.add(qi);
        VqaItem qv = VqaItem.query(grid(qi), query.question());
        if (answer == null) {
            PromptTokens pt = vlm.builder().generation(icds, qv);
            return new Built(new Prompt(pt.ids(), ims), null);
        }
        PromptTokens pt = vlm.builder().teacherForced(icds, qv, answer);
        return new Built(null, new ScoreRequest(new Prompt(pt.ids(), ims), pt.answerStart(), pt.answerEnd()));
    }

    private static ImageGrid grid(ImageInput im) { return new ImageGrid(im.grid()[0], im.grid()[1], im.grid()[2]); }

    private ImageInput image(Map<Path, ImageInput> done, GenItem item) throws IOException {
        ImageInput im = done.get(item.image());
        if (im != null) return im;
        if (!Files.isRegularFile(item.image()))
            throw new java.nio.file.NoSuchFileException(item.image().toString(), null, "image of id " + item.idx() + " not found");
        ProcessedImage p = vlm.images().process(item.image());
        String key = sha256(Files.readAllBytes(item.image())) + "|" + vlm.images().config();
        im = new ImageInput(key, Tensors.floats(p.pixels(), p.grid().patches(), p.rowSize()), new int[]{p.grid().t(), p.grid().h(), p.grid().w()});
        done.put(item.image(), im);
        return im;
    }

    private static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }

    /** For tests: the RL query a journal value parses to. */
    static RlQuery parse(String key, JsonNode value) { return RlQuery.parse(key, value, "journal"); }
}
