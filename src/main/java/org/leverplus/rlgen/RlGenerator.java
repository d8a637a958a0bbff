package org.leverplus.rlgen;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.leverplus.data.Embeddings;
import org.leverplus.data.RlDataWriter;
import org.leverplus.data.RlQuery;
import org.leverplus.vlm.engine.GenerationSettings;
import org.leverplus.vlm.engine.VlmEngine;
import org.leverplus.vlm.image.QwenImageProcessor;
import org.leverplus.vlm.text.IcdPromptBuilder;
import org.leverplus.vlm.text.QwenTokenizer;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
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
        long queries, written, skipped, proposed, kept, positives, writtenCandidates, writtenPositives;
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
            } else {
                written++;
                for (JsonNode c : rec.get("value").get("pointer_candidates")) {
                    writtenCandidates++;
                    if (c.path("vqa_correct").asInt() == 1) writtenPositives++;
                }
            }
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
            o.put("candidates_written", writtenCandidates);
            o.put("written_positive_ratio", writtenCandidates == 0 ? 0.0 : (double) writtenPositives / writtenCandidates);
            return o;
        }

        @Override public String toString() {
            return "queries " + written + " written / " + queries + " seen (skipped " + skippedBy + "), candidates " + kept
                    + " kept / " + proposed + " proposed (dropped " + dropped + "), eval modes " + modes
                    + String.format(", positive ratio %.3f", kept == 0 ? 0.0 : (double) positives / kept);
        }
    }

    /**
     * The balanced mode (spec 8.7(b)): every query's candidates are the similarity-interval pairs of
     * {@link BalancedPairs} over the whole dataset, and a query is written only when {@link BalancedPairs#dropReason}
     * keeps it; the run stops once {@code targetQueries} queries were kept (0 = no target).
     */
    public record Balanced(BalancedPairs.Settings pairs, double minPosRatio, double maxPosRatio, int targetQueries) {
        public Balanced {
            if (!(minPosRatio >= 0 && maxPosRatio <= 1 && minPosRatio <= maxPosRatio))
                throw new IllegalArgumentException("expected 0 <= --min-pos-ratio <= --max-pos-ratio <= 1 but found " + minPosRatio + " and " + maxPosRatio);
            if (targetQueries < 0) throw new IllegalArgumentException("--target-queries must be >= 0, got " + targetQueries);
        }
    }

    /** Drop reason of a balanced pair that holds the query itself (the original's similarity -1 item). */
    public static final String QUERY_IN_PAIR = "query-in-pair";

    /** gen_method of the balanced mode's candidates. */
    public static final String BALANCED_METHOD = "similarity_interval";

    private final GenDataset data;
    private final Map<Integer, int[]> pools;      // null: the full dataset is every query's pool
    private final List<Integer> queryIds;
    private final Embeddings embeddings;
    private final Proposals proposals;
    private final AnswerSources answers;
    private final Vlm vlm;
    private final Settings s;
    private final Balanced balanced;               // null: the standard mode

    public RlGenerator(GenDataset data, Map<Integer, int[]> pools, List<Integer> queryIds, Embeddings embeddings,
                       Proposals proposals, AnswerSources answers, Vlm vlm, Settings s) {
        this(data, pools, queryIds, embeddings, proposals, answers, vlm, s, null);
    }

    /** The balanced mode: the full dataset is the pool, no proposers (see {@link Balanced}). */
    public static RlGenerator balanced(GenDataset data, List<Integer> queryIds, Embeddings embeddings, AnswerSources answers,
                                       Vlm vlm, Settings s, Balanced b) {
        if (s.shots() != 2) throw new IllegalArgumentException("--balanced builds pairs: --shots must be 2, got " + s.shots());
        return new RlGenerator(data, null, queryIds, embeddings, null, answers, vlm, s, b);
    }

    private RlGenerator(GenDataset data, Map<Integer, int[]> pools, List<Integer> queryIds, Embeddings embeddings,
                        Proposals proposals, AnswerSources answers, Vlm vlm, Settings s, Balanced balanced) {
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
        this.balanced = balanced;
    }

    private List<Integer> limited() {
        return s.limit() > 0 && s.limit() < queryIds.size() ? queryIds.subList(0, s.limit()) : queryIds;
    }

    /** [from, to) of this shard in the (limited) query list: whole chunks, contiguous. */
    private int[] shardRange() {
        List<Integer> all = limited();
        int chunks = (all.size() + s.chunk() - 1) / s.chunk();
        int from = (int) ((long) s.shard() * chunks / s.shards()) * s.chunk(), to = (int) ((long) (s.shard() + 1) * chunks / s.shards()) * s.chunk();
        return new int[]{Math.min(from, all.size()), Math.min(to, all.size())};
    }

    /** This shard's slice of the query list: whole chunks, contiguous. */
    public List<Integer> shardQueries() {
        int[] r = shardRange();
        return limited().subList(r[0], r[1]);
    }

    /** Runs (or resumes) the generation and writes {@code out} atomically; the journal is removed after the commit. */
    public Summary run(Path out, Path journalFile, ObjectNode runSettings, boolean overwrite, PrintStream progress) throws IOException {
        if (Files.exists(out) && !overwrite) throw new IllegalArgumentException(out + " exists (pass --overwrite to replace it)");
        List<Integer> mine = shardQueries();
        long t0 = System.nanoTime();
        Summary now = new Summary();
        int target = balanced == null ? 0 : balanced.targetQueries();
        try (Journal j = Journal.open(journalFile, runSettings)) {
            int resumed = 0, chunksNow = 0;
            for (int q : mine) if (j.done().containsKey(Integer.toString(q))) resumed++;
            if (resumed > 0 && progress != null) progress.println("generate rl: resuming, " + resumed + " of " + mine.size() + " queries already done");
            BalancedPairs stream = null;
            if (balanced != null) {
                // one random stream over the whole query list: a shard first advances it past the earlier queries
                stream = new BalancedPairs(balanced.pairs(), data.size());
                for (int i = 0; i < shardRange()[0]; i++) stream.skip();
            }
            for (int c = 0; c < mine.size(); c += s.chunk()) {
                if (target > 0 && keptSoFar(j, mine) >= target) break;
                List<Integer> chunk = new ArrayList<>();
                Map<Integer, List<CandidateSequence>> given = balanced == null ? null : new HashMap<>();
                Map<Integer, Integer> selfPairs = new HashMap<>();
                for (int q : mine.subList(c, Math.min(mine.size(), c + s.chunk()))) {
                    boolean done = j.done().containsKey(Integer.toString(q));
                    if (stream != null) {
                        if (done) stream.skip();
                        else given.put(q, balancedCandidates(stream, q, selfPairs));
                    }
                    if (!done) chunk.add(q);
                }
                if (chunk.isEmpty()) continue;
                List<ObjectNode> recs = processChunk(chunk, given, selfPairs);
                if (balanced != null) for (ObjectNode r : recs) applyBand(r);
                j.append(recs);
                for (ObjectNode r : recs) now.add(r);
                progress(progress, now, j.done().size(), mine.size(), t0, target > 0 ? keptSoFar(j, mine) + "/" + target : null);
                if (++chunksNow == Integer.getInteger("lever.rlgen.stopAfterChunks", -1))                  // test hook: a crash right after a journal write
                    throw new IllegalStateException("stopped after " + chunksNow + " chunks (lever.rlgen.stopAfterChunks)");
            }
            Summary total = new Summary();
            boolean targetReached = false;
            int processed = 0;
            try (RlDataWriter w = RlDataWriter.open(out, overwrite)) {
                for (int q : mine) {
                    if (target > 0 && total.written >= target) { targetReached = true; break; }
                    JsonNode rec = j.done().get(Integer.toString(q));
                    if (rec == null) throw new IllegalStateException("query " + q + " is missing from the journal " + journalFile);
                    total.add(rec);
                    processed++;
                    if (!rec.get("value").isNull()) w.entry(Integer.toString(q), rec.get("value"));
                }
                ObjectNode meta = runSettings.deepCopy();
                meta.put("generator", "lever generate rl");
                if (balanced != null) {
                    meta.put("mode", "balanced");
                    meta.put("start_idx", mine.isEmpty() ? 0 : mine.get(0));
                    meta.put("end_idx", mine.isEmpty() ? 0 : mine.get(mine.size() - 1) + 1);
                    meta.put("num_queries_processed", processed);
                    meta.put("eval_per_query", balanced.pairs().maxPairs());
                    meta.putArray("pos_ratio_range").add(balanced.minPosRatio()).add(balanced.maxPosRatio());
                    meta.put("target_reached", targetReached || (target > 0 && total.written >= target));
                }
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
     * the driver adds the lines with {@link #importJournal} before {@link #run} assembles the output. Standard mode
     * only (the balanced mode's candidates come from one random stream over the whole query range).
     */
    public List<String> journalLines(List<Integer> chunk) throws IOException {
        if (balanced != null) throw new IllegalStateException("journalLines: the balanced mode runs in one process (its pairs come from one random stream)");
        List<String> lines = new ArrayList<>();
        for (ObjectNode r : processChunk(chunk, null, new HashMap<>())) lines.add(Journal.text(r));
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

    /** Queries of this shard kept (written) so far, by the journal. */
    private static int keptSoFar(Journal j, List<Integer> mine) {
        int n = 0;
        for (int q : mine) {
            JsonNode r = j.done().get(Integer.toString(q));
            if (r != null && !r.get("value").isNull()) n++;
        }
        return n;
    }

    /** The balanced mode's pairs of query {@code q} (the next draws of the stream); pairs holding the query are counted and left out. */
    private List<CandidateSequence> balancedCandidates(BalancedPairs stream, int q, Map<Integer, Integer> selfPairs) {
        double[] sim = BalancedPairs.similarities(embeddings, q);
        List<CandidateSequence> out = new ArrayList<>();
        for (int[] p : stream.next(BalancedPairs.ranked(sim))) {
            if (p[0] == q || p[1] == q) { selfPairs.merge(q, 1, Integer::sum); continue; }
            out.add(new CandidateSequence(p, BALANCED_METHOD, null, null, null, null, (sim[p[0]] + sim[p[1]]) / 2));
        }
        return out;
    }

    /** The balanced keep rule on a finished journal record: a query outside it is not written (its reason is kept). */
    private void applyBand(ObjectNode rec) {
        JsonNode v = rec.get("value");
        if (v.isNull()) return;
        int n = 0, pos = 0;
        for (JsonNode c : v.get("pointer_candidates")) { n++; if (c.get("vqa_correct").asInt() == 1) pos++; }
        String why = BalancedPairs.dropReason(pos, n, balanced.minPosRatio(), balanced.maxPosRatio());
        if (why == null) return;
        rec.set("dropped_value", v);                      // kept in the journal only (to inspect a crashed run)
        rec.putNull("value");
        ((ObjectNode) rec.get("stats")).put("skip_reason", why);
    }

    private static void progress(PrintStream p, Summary now, int done, int total, long t0, String kept) {
        if (p == null) return;
        double sec = (System.nanoTime() - t0) / 1e9;
        double qps = now.queries / Math.max(sec, 1e-9);
        double eta = qps > 0 ? (total - done) / qps : Double.NaN;
        p.printf("generate rl: %d/%d queries, %.3f queries/s, %.2f candidates/s, positive ratio %.3f, kept %d/%d candidates, ETA %.0f s%n",
                done, total, qps, now.kept / Math.max(sec, 1e-9), now.kept == 0 ? 0.0 : (double) now.positives / now.kept,
                now.kept, now.proposed, eta);
        if (kept != null) p.printf("generate rl: kept queries %s%n", kept);
    }

    // ------------------------------------------------------------------ one chunk

    private record Pending(int query, int[] pool, List<CandidateSequence> cands, AnswerSources.Found found, ObjectNode stats, int pre) {}

    /**
     * Journal records for a chunk of queries (in the chunk's order). {@code given}: the candidates of each query
     * (balanced mode), else the proposers run; {@code preDropped}: candidates already left out per query (counted).
     */
    List<ObjectNode> processChunk(List<Integer> chunk, Map<Integer, List<CandidateSequence>> given, Map<Integer, Integer> preDropped) throws IOException {
        if (vlm == null || (given == null && proposals == null))
            throw new IllegalStateException("queries " + chunk + " are not in the journal and this generator has no models");
        List<Pending> pending = new ArrayList<>();
        List<Labeller.Job> jobs = new ArrayList<>();
        Map<Integer, ObjectNode> byQuery = new HashMap<>();
        for (int q : chunk) {
            GenItem item = data.get(q);
            int[] pool = poolOf(q);
            ObjectNode stats = JsonNodeFactory.instance.objectNode();
            List<CandidateSequence> cands;
            if (given != null) cands = given.get(q);
            else {
                boolean[] excluded = new boolean[pool.length];
                float[][] pe = new float[pool.length][];
                for (int j = 0; j < pool.length; j++) { excluded[j] = pool[j] == q; pe[j] = embeddings.row(pool[j]); }
                // no TensorScope here either: with one, the selector's parameters were released after some chunks
                // (a crash in PointerSelector.attentionLayer); its small temporaries are left to the GC
                cands = proposals.propose(new ProposalContext(embeddings.row(q), pe, excluded, s.shots(),
                        ProposalContext.randomFor(s.seed(), Integer.toString(q))));
            }
            int pre = preDropped == null ? 0 : preDropped.getOrDefault(q, 0);
            AnswerSources.Found found = answers.find(item.annotationKey());
            List<String> refs = item.answer() == null ? List.of() : List.of(item.answer());
            stats.put("proposed", cands.size() + pre);
            if (found == null && (!s.allowFallback() || refs.isEmpty())) {
                String reason = s.allowFallback() ? CandidateLabel.NO_REFERENCE : CandidateLabel.NO_ANNOTATION;
                stats.put("kept", 0).put("positives", 0).put("skip_reason", reason);
                ObjectNode dr = stats.putObject("dropped");
                if (pre > 0) dr.put(QUERY_IN_PAIR, pre);
                dr.put(reason, cands.size());
                stats.putObject("modes");
                byQuery.put(q, record(q, null, stats));
                continue;
            }
            pending.add(new Pending(q, pool, cands, found, stats, pre));
            List<int[]> seqs = new ArrayList<>();
            for (CandidateSequence c : cands) {
                int[] ids = c.positions();
                for (int k = 0; k < ids.length; k++) ids[k] = pool[ids[k]];
                seqs.add(ids);
            }
            jobs.add(new Labeller.Job(item, seqs, found, refs));
        }
        List<List<Labeller.Result>> labels = new Labeller(data, vlm, s.allowFallback()).label(jobs);
        for (int pi = 0; pi < pending.size(); pi++) {
            Pending p = pending.get(pi);
            List<ObjectNode> kept = new ArrayList<>();
            Map<String, Long> dropped = new TreeMap<>(), modes = new TreeMap<>();
            if (p.pre() > 0) dropped.put(QUERY_IN_PAIR, (long) p.pre());
            int positives = 0;
            for (int i = 0; i < p.cands().size(); i++) {
                Labeller.Result l = labels.get(pi).get(i);
                if (l.dropped()) { dropped.merge(l.dropReason(), 1L, Long::sum); continue; }
                ObjectNode o = candidateJson(p.cands().get(i), p.pool());
                o.setAll(l.fields());
                modes.merge(l.fields().get("vqa_eval_mode").asText(), 1L, Long::sum);
                positives += l.fields().get("vqa_correct").asInt();
                kept.add(o);
            }
            p.stats().put("kept", kept.size()).put("positives", positives);
            ObjectNode d = p.stats().putObject("dropped");
            dropped.forEach(d::put);
            ObjectNode m = p.stats().putObject("modes");
            modes.forEach(m::put);
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
        List<ObjectNode> recs = new ArrayList<>();
        for (int q : chunk) recs.add(byQuery.get(q));
        return recs;
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

    /** For tests: the RL query a journal value parses to. */
    static RlQuery parse(String key, JsonNode value) { return RlQuery.parse(key, value, "journal"); }
}
