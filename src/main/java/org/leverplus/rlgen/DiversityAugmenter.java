package org.leverplus.rlgen;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.leverplus.data.Embeddings;
import org.leverplus.data.RlCandidate;
import org.leverplus.data.RlData;
import org.leverplus.data.RlDataReader;
import org.leverplus.data.RlDataWriter;
import org.leverplus.data.RlQuery;
import org.leverplus.selector.PointerSelector;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;

/**
 * {@code lever generate rl --augment-diversity} (spec 8.5, Lever-Plus's {@code augment_rl_data_diversity.py}): every
 * query of an existing RL file whose candidates all have the same {@code vqa_acc_score} 0, 1.0 or 0.6 ({@code all0},
 * {@code all1}, {@code all06}) gets new candidate pairs, proposed from the query's similarity ranking of its pool and
 * labelled with the same VQA labelling as {@code lever generate rl}, until one of them has another reward level, the
 * class's evaluation budget is spent or the query reaches its candidate cap. Every evaluated candidate is appended
 * (with {@code aug_type}, {@code aug_round}), in evaluation order. The input file is never modified.
 *
 * <p>Proposal schedule per class (the original's, as far as the spec and its defaults go; see docs/rl-data.md):
 * <ul>
 * <li>all0 (looking for acc &gt; 0): rounds L = 50, 100, 200, 400, 600, 800, 1000 of the 15 best unseen pairs of
 *     the L most similar pool items by proxy (sim_i + sim_j) / 2, descending ({@code aug_pos_topL_L{L}}; all pairs
 *     when L &le; 120 (at most 10,000, sampled), else 20,000 sampled pairs); then, with a selector, its 20 beams
 *     ({@code sft_beam_beam}, 25 at most) and 8 samples at each of 0.8, 1.0, 1.2, 1.5, 2.0, 2.5
 *     ({@code sft_temp_{tau}}); then swaps of the best top-L pair ({@code aug_swap}). Cap: max candidates + 6.</li>
 * <li>all1 (looking for acc &lt; 1): rounds B = 200, 400, 600, 800, 1000: 12 of 36 random pairs of the B least
 *     similar items, ascending proxy ({@code aug_neg_bottom_B{B}}), then 12 of 24 random top/bottom mixes with
 *     L = min(200, K / 2) ({@code aug_neg_mix_L{L}_B{B}}); then the selector's beams.</li>
 * <li>all06 (looking for any other level): the bottom-B rounds, then top-L rounds L = 50, 100, 200, 400, 600, each
 *     12 pairs in shuffled order; then the selector's beams.</li>
 * </ul>
 * Pairs are written sorted by id, as the original; a pair already among the query's candidates (as a set) or
 * proposed before is never evaluated again. Random choices come from the query's own stream (seed + query key).
 */
public final class DiversityAugmenter {
    public static final String ALL0 = "all0", ALL1 = "all1", ALL06 = "all06", DIVERSE = "diverse", EMPTY = "empty";
    static final List<Integer> ALL0_L = List.of(50, 100, 200, 400, 600, 800, 1000);
    static final List<Integer> BOTTOM_B = List.of(200, 400, 600, 800, 1000);
    static final List<Integer> ALL06_L = List.of(50, 100, 200, 400, 600);
    static final List<Double> SFT_TEMPERATURES = List.of(0.8, 1.0, 1.2, 1.5, 2.0, 2.5);

    /**
     * @param budgetAll0    evaluations at most for an all0 query (100)
     * @param budgetAll1    for an all1 query (8)
     * @param budgetAll06   for an all06 query (8)
     * @param maxCandidates candidates per query at most after augmentation (24; all0: + 6)
     * @param poolSize      files without {@code candidate_pool_ids}: the pool is the query's most similar items (500)
     * @param seed          seed of the per-query random streams
     * @param chunk         queries labelled together
     * @param batch         evaluations per query per labelling pass (results after the first success are discarded,
     *                      so the output equals one-at-a-time evaluation)
     */
    public record Settings(int budgetAll0, int budgetAll1, int budgetAll06, int maxCandidates, int poolSize, long seed,
                           int chunk, int batch) {
        public Settings {
            if (budgetAll0 < 0 || budgetAll1 < 0 || budgetAll06 < 0) throw new IllegalArgumentException("evaluation budgets must be >= 0");
            if (maxCandidates < 1) throw new IllegalArgumentException("--max-candidates-per-query must be >= 1, got " + maxCandidates);
            if (poolSize < 2) throw new IllegalArgumentException("--aug-pool must be >= 2, got " + poolSize);
            if (chunk < 1 || batch < 1) throw new IllegalArgumentException("--chunk and --aug-batch must be >= 1");
        }

        public static Settings defaults() { return new Settings(100, 8, 8, 24, 500, 42, 16, 8); }
    }

    /** The class of a query from its candidates' {@code vqa_acc_score} values (a missing score counts as 0, as the original). */
    public static String classify(List<Double> accs) {
        if (accs.isEmpty()) return EMPTY;
        Set<Double> distinct = new HashSet<>(accs);
        if (distinct.size() >= 2) return DIVERSE;
        double v = accs.get(0);
        if (Math.abs(v) < 1e-6) return ALL0;
        if (Math.abs(v - 1.0) < 1e-6) return ALL1;
        if (Math.abs(v - 0.6) < 1e-6) return ALL06;
        return DIVERSE;                                          // another single value: left alone, as the original
    }

    static List<Double> accs(List<JsonNode> candidates) {
        List<Double> out = new ArrayList<>();
        for (JsonNode c : candidates) out.add(c.path("vqa_acc_score").asDouble(0.0));
        return out;
    }

    /** Whether a new score ends the search of a query of class {@code cls}. */
    static boolean success(String cls, double acc) {
        return switch (cls) {
            case ALL0 -> acc > 0.0;
            case ALL1 -> acc < 1.0;
            default -> Math.abs(acc - 0.6) >= 1e-6;
        };
    }

    private final GenDataset data;
    private final Embeddings embeddings;
    private final AnswerSources answers;
    private final RlGenerator.Vlm vlm;
    private final PointerSelector selector;       // null: no selector stage
    private final Settings s;
    private final boolean allowFallback;

    public DiversityAugmenter(GenDataset data, Embeddings embeddings, AnswerSources answers, RlGenerator.Vlm vlm,
                              PointerSelector selector, Settings s, boolean allowFallback) {
        if (embeddings.rows() != data.size())
            throw new IllegalArgumentException("the embeddings have " + embeddings.rows() + " rows but the dataset has " + data.size() + " items");
        this.data = data;
        this.embeddings = embeddings;
        this.answers = answers;
        this.vlm = vlm;
        this.selector = selector;
        this.s = s;
        this.allowFallback = allowFallback;
    }

    /** What a run did. */
    public record Report(Map<String, Long> before, Map<String, Long> after, long evaluated, long appended,
                         long succeeded, Map<String, Long> skipped) {
        ObjectNode toJson() {
            ObjectNode o = JsonNodeFactory.instance.objectNode();
            ObjectNode b = o.putObject("classes_before");
            before.forEach(b::put);
            ObjectNode a = o.putObject("classes_after");
            after.forEach(a::put);
            o.put("candidates_evaluated", evaluated);
            o.put("candidates_appended", appended);
            o.put("queries_made_diverse", succeeded);
            ObjectNode sk = o.putObject("queries_skipped_by_reason");
            skipped.forEach(sk::put);
            return o;
        }

        @Override public String toString() {
            return "classes before " + before + ", after " + after + "; " + evaluated + " candidates evaluated, " + appended
                    + " appended, " + succeeded + " queries made diverse" + (skipped.isEmpty() ? "" : ", skipped " + skipped);
        }
    }

    // ------------------------------------------------------------------ one query's search

    /** A proposed pair (global ids, sorted) and how it was made. */
    record Proposal(int[] ids, String method, int round, Double proxy) {}

    /** The state of one query's search: its pool ranking and the lazily built proposal schedule. */
    final class Search {
        final RlQuery q;
        final String cls;
        final int[] pool;          // global ids
        final double[] sim;        // per pool position
        final Integer[] ranked;    // pool positions by descending similarity (ties: lower position)
        final Random random;
        final Set<String> seen = new HashSet<>();
        final List<Proposal> queue = new ArrayList<>();
        final List<ObjectNode> added = new ArrayList<>();
        final int budget, cap;
        int stage, evaluated, lastRound;
        boolean done, success;
        int[] bestTopPair;
        double bestTopProxy = Double.NEGATIVE_INFINITY;

        Search(RlQuery q, String cls) {
            this.q = q;
            this.cls = cls;
            this.pool = poolOf(q);
            float[] qe = embeddings.row(q.index());
            sim = new double[pool.length];
            for (int i = 0; i < pool.length; i++) sim[i] = RetrievalProposer.cosine(qe, embeddings.row(pool[i]));
            List<Integer> order = new ArrayList<>();
            for (int i = 0; i < pool.length; i++) if (pool[i] != q.index()) order.add(i);
            order.sort((a, b) -> sim[a] != sim[b] ? Double.compare(sim[b], sim[a]) : Integer.compare(a, b));
            ranked = order.toArray(new Integer[0]);
            random = ProposalContext.randomFor(s.seed(), q.key());
            for (RlCandidate c : q.candidates()) seen.add(key(c.globalPointer()));
            budget = switch (cls) { case ALL0 -> s.budgetAll0(); case ALL1 -> s.budgetAll1(); default -> s.budgetAll06(); };
            cap = s.maxCandidates() + (cls.equals(ALL0) ? 6 : 0);
            if (ranked.length < 2) done = true;
        }

        int room() { return Math.min(budget - evaluated, cap - q.candidates().size() - added.size()); }

        /** Up to {@code n} next unseen proposals (marked seen), refilling the queue stage by stage. */
        List<Proposal> next(int n) {
            List<Proposal> out = new ArrayList<>();
            while (out.size() < n) {
                if (queue.isEmpty() && !refill()) break;
                Proposal p = queue.remove(0);
                if (seen.add(key(p.ids()))) out.add(p);
            }
            return out;
        }

        /** Builds the next stage's proposals; false when the schedule is exhausted. */
        private boolean refill() {
            while (queue.isEmpty()) {
                List<Runnable> stages = schedule();
                if (stage >= stages.size()) return false;
                stages.get(stage++).run();
            }
            return true;
        }

        private List<Runnable> schedule() {
            List<Runnable> st = new ArrayList<>();
            int k = ranked.length;
            switch (cls) {
                case ALL0 -> {
                    for (int r = 0; r < ALL0_L.size(); r++) { int L = ALL0_L.get(r), round = r + 1; st.add(() -> topL(L, round, 15, +1, "aug_pos_topL_L" + L)); }
                    st.add(() -> selectorBeams(ALL0_L.size() + 1));
                    st.add(() -> selectorSamples(ALL0_L.size() + 1));
                    st.add(() -> swaps(ALL0_L.size() + 2));
                }
                case ALL1 -> {
                    for (int r = 0; r < BOTTOM_B.size(); r++) {
                        int B = BOTTOM_B.get(r), round = r + 1, L = Math.max(1, Math.min(200, k / 2));
                        st.add(() -> bottom(B, round, 12, -1, "aug_neg_bottom_B" + B));
                        st.add(() -> mix(L, B, round, 12, "aug_neg_mix_L" + L + "_B" + B));
                    }
                    st.add(() -> selectorBeams(BOTTOM_B.size() + 1));
                }
                default -> {
                    for (int r = 0; r < BOTTOM_B.size(); r++) { int B = BOTTOM_B.get(r), round = r + 1; st.add(() -> bottom(B, round, 12, 0, "aug_neg_bottom_B" + B)); }
                    for (int r = 0; r < ALL06_L.size(); r++) {
                        int L = ALL06_L.get(r), round = BOTTOM_B.size() + r + 1;
                        st.add(() -> topL(L, round, 12, 0, "aug_pos_topL_L" + L));
                    }
                    st.add(() -> selectorBeams(BOTTOM_B.size() + ALL06_L.size() + 1));
                }
            }
            return st;
        }

        double proxy(int a, int b) { return (sim[a] + sim[b]) / 2; }

        /** Pool positions -> a sorted global pair. */
        int[] pair(int a, int b) {
            int x = pool[a], y = pool[b];
            return new int[]{Math.min(x, y), Math.max(x, y)};
        }

        /** Orders (pos a, pos b) pairs by proxy: +1 descending, -1 ascending, 0 shuffled; queues the first {@code take} unseen. */
        private void enqueue(List<int[]> pairs, int order, int take, String method, int round, boolean trackBest) {
            List<int[]> fresh = new ArrayList<>();
            for (int[] p : pairs) if (!seen.contains(key(pair(p[0], p[1])))) fresh.add(p);
            if (order > 0) fresh.sort((x, y) -> Double.compare(proxy(y[0], y[1]), proxy(x[0], x[1])));
            else if (order < 0) fresh.sort((x, y) -> Double.compare(proxy(x[0], x[1]), proxy(y[0], y[1])));
            else java.util.Collections.shuffle(fresh, random);
            Set<String> here = new HashSet<>();
            for (int[] p : fresh) {
                if (queue.size() >= take) break;
                int[] g = pair(p[0], p[1]);
                if (!here.add(key(g))) continue;
                double px = proxy(p[0], p[1]);
                queue.add(new Proposal(g, method, round, px));
                if (trackBest && px > bestTopProxy) { bestTopProxy = px; bestTopPair = p; }
            }
        }

        private void topL(int L, int round, int take, int order, String method) {
            int l = Math.min(L, ranked.length);
            List<int[]> all = new ArrayList<>();
            for (int i = 0; i < l; i++) for (int j = i + 1; j < l; j++) all.add(new int[]{ranked[i], ranked[j]});
            int limit = L <= 120 ? 10_000 : 20_000;
            if (all.size() > limit) all = sampleList(all, limit);
            enqueue(all, order, take, method, round, true);
        }

        private List<int[]> sampleList(List<int[]> all, int n) {
            List<int[]> copy = new ArrayList<>(all);
            java.util.Collections.shuffle(copy, random);
            return new ArrayList<>(copy.subList(0, n));
        }

        private void bottom(int B, int round, int take, int order, String method) {
            int b = Math.min(B, ranked.length);
            List<int[]> pairs = new ArrayList<>();
            for (int t = 0; t < take * 3 && b >= 2; t++) {
                int i = ranked.length - b + random.nextInt(b), j;
                do { j = ranked.length - b + random.nextInt(b); } while (j == i);
                pairs.add(new int[]{ranked[i], ranked[j]});
            }
            enqueue(pairs, order, take, method, round, false);
        }

        private void mix(int L, int B, int round, int take, String method) {
            int l = Math.min(L, ranked.length), b = Math.min(B, ranked.length);
            List<int[]> pairs = new ArrayList<>();
            for (int t = 0; t < take * 2; t++) {
                int i = random.nextInt(l), j = ranked.length - b + random.nextInt(b);
                if (i != j) pairs.add(new int[]{ranked[i], ranked[j]});
            }
            enqueue(pairs, -1, take, method, round, false);
        }

        private ProposalContext context() {
            float[][] pe = new float[pool.length][];
            boolean[] excluded = new boolean[pool.length];
            for (int i = 0; i < pool.length; i++) { pe[i] = embeddings.row(pool[i]); excluded[i] = pool[i] == q.index(); }
            return new ProposalContext(embeddings.row(q.index()), pe, excluded, 2, random);
        }

        private void selectorBeams(int round) {
            if (selector == null || ranked.length < 2) return;
            int n = 0;
            for (CandidateSequence c : new SelectorBeamProposer(selector, Math.min(20, ranked.length)).propose(context())) {
                if (n++ >= 25) break;
                int[] p = c.positions();
                queue.add(new Proposal(pair(p[0], p[1]), "sft_beam_beam", round, null));
            }
        }

        private void selectorSamples(int round) {
            if (selector == null || ranked.length < 2) return;
            for (double tau : SFT_TEMPERATURES)
                for (CandidateSequence c : new SelectorSamplingProposer(selector, List.of(tau), 8).propose(context())) {
                    int[] p = c.positions();
                    queue.add(new Proposal(pair(p[0], p[1]), "sft_temp_" + tau, round, null));
                }
        }

        /** Swaps of the best top-L pair (a, b): (a, x) and (x, b) for x spread over the 800 most similar, then double swaps. */
        private void swaps(int round) {
            int l = Math.min(800, ranked.length);
            int a = bestTopPair != null ? bestTopPair[0] : ranked[0], b = bestTopPair != null ? bestTopPair[1] : ranked[Math.min(1, ranked.length - 1)];
            List<Integer> avail = new ArrayList<>();
            for (int i = 0; i < l; i++) if (ranked[i] != a && ranked[i] != b) avail.add(ranked[i]);
            if (avail.isEmpty()) return;
            List<int[]> pairs = new ArrayList<>();
            int parts = Math.min(10, avail.size()), size = avail.size() / parts;
            for (int side = 0; side < 2; side++)
                for (int i = 0; i < parts; i++) {
                    int from = i * size, to = i < parts - 1 ? from + size : avail.size();
                    int x = avail.get(from + random.nextInt(to - from));
                    pairs.add(side == 0 ? new int[]{a, x} : new int[]{x, b});
                }
            for (int t = 0; t < 10 && avail.size() >= 2; t++) {
                int i = random.nextInt(avail.size()), j;
                do { j = random.nextInt(avail.size()); } while (j == i);
                pairs.add(new int[]{avail.get(i), avail.get(j)});
            }
            enqueue(pairs, +1, pairs.size(), "aug_swap", round, false);
        }
    }

    static String key(int[] ids) {
        int[] k = ids.clone();
        Arrays.sort(k);
        return Arrays.toString(k);
    }

    /** The query's pool: {@code candidate_pool_ids} (k64 files), else its {@code poolSize} most similar items (the query excluded). */
    int[] poolOf(RlQuery q) {
        if (q.candidatePoolIds() != null && q.isLocal()) {
            for (int id : q.candidatePoolIds()) data.get(id);
            return q.candidatePoolIds().clone();
        }
        int qi = q.index();
        data.get(qi);
        double[] sim = new double[embeddings.rows()];
        float[] qe = embeddings.row(qi);
        for (int i = 0; i < sim.length; i++) sim[i] = RetrievalProposer.cosine(qe, embeddings.row(i));
        Integer[] order = new Integer[sim.length];
        for (int i = 0; i < order.length; i++) order[i] = i;
        Arrays.sort(order, (a, b) -> sim[a] != sim[b] ? Double.compare(sim[b], sim[a]) : Integer.compare(a, b));
        int[] out = new int[Math.min(s.poolSize(), sim.length - 1)];
        int n = 0;
        for (Integer id : order) { if (n == out.length) break; if (id != qi) out[n++] = id; }
        return out;
    }

    // ------------------------------------------------------------------ the run

    /** Augments {@code in} into {@code out} (never {@code in} itself), resumably through {@code journalFile}. */
    public Report run(Path in, Path out, Path journalFile, ObjectNode runSettings, boolean overwrite, PrintStream progress) throws IOException {
        if (Files.exists(out) && Files.isSameFile(out, in)) throw new IllegalArgumentException(out + ": the output must not be the input file");
        if (Files.exists(out) && !overwrite) throw new IllegalArgumentException(out + " exists (pass --overwrite to replace it)");
        RlData input = RlDataReader.read(in);
        Map<String, Long> before = new TreeMap<>(), after = new TreeMap<>(), skipped = new TreeMap<>();
        List<RlQuery> todo = new ArrayList<>();
        for (RlQuery q : input.queries()) {
            List<JsonNode> cands = new ArrayList<>();
            q.raw().get("pointer_candidates").forEach(cands::add);
            String cls = classify(accs(cands));
            before.merge(cls, 1L, Long::sum);
            if (cls.equals(ALL0) || cls.equals(ALL1) || cls.equals(ALL06)) {
                if (q.index() < 0 || q.index() >= data.size())
                    throw new IllegalArgumentException(in + ": query \"" + q.key() + "\": the query id is not in the dataset (ids 0.." + (data.size() - 1) + ")");
                if (q.candidatePoolIds() != null)
                    for (int id : q.candidatePoolIds())
                        if (id < 0 || id >= data.size())
                            throw new IllegalArgumentException(in + ": query \"" + q.key() + "\", field candidate_pool_ids: id " + id + " is not in the dataset (ids 0.." + (data.size() - 1) + ")");
                todo.add(q);
            }
        }
        long t0 = System.nanoTime();
        try (Journal j = Journal.open(journalFile, runSettings)) {
            int resumed = 0, chunksNow = 0;
            for (RlQuery q : todo) if (j.done().containsKey(q.key())) resumed++;
            if (resumed > 0 && progress != null) progress.println("augment: resuming, " + resumed + " of " + todo.size() + " queries already done");
            for (int c = 0; c < todo.size(); c += s.chunk()) {
                List<RlQuery> chunk = new ArrayList<>();
                for (RlQuery q : todo.subList(c, Math.min(todo.size(), c + s.chunk()))) if (!j.done().containsKey(q.key())) chunk.add(q);
                if (chunk.isEmpty()) continue;
                j.append(augmentChunk(chunk));
                if (progress != null)
                    progress.printf("augment: %d/%d queries to augment done, %.1f s%n", j.done().size(), todo.size(), (System.nanoTime() - t0) / 1e9);
                if (++chunksNow == Integer.getInteger("lever.rlgen.stopAfterChunks", -1))                  // test hook: a crash right after a journal write
                    throw new IllegalStateException("stopped after " + chunksNow + " chunks (lever.rlgen.stopAfterChunks)");
            }
            long evaluated = 0, appended = 0, succeeded = 0;
            try (RlDataWriter w = RlDataWriter.open(out, overwrite)) {
                if (input.metaFirst()) for (Map.Entry<String, JsonNode> e : input.extras().entrySet()) w.entry(e.getKey(), e.getValue());
                for (RlQuery q : input.queries()) {
                    ObjectNode value = q.raw().deepCopy();
                    JsonNode rec = j.done().get(q.key());
                    if (rec != null) {
                        JsonNode st = rec.get("stats");
                        evaluated += st.get("evaluated").asLong();
                        if (st.get("success").asBoolean()) succeeded++;
                        if (st.has("skip_reason")) skipped.merge(st.get("skip_reason").asText(), 1L, Long::sum);
                        ArrayNode arr = (ArrayNode) value.get("pointer_candidates");
                        for (JsonNode a : rec.get("value").get("added")) { arr.add(a); appended++; }
                    }
                    List<JsonNode> cands = new ArrayList<>();
                    value.get("pointer_candidates").forEach(cands::add);
                    after.merge(classify(accs(cands)), 1L, Long::sum);
                    w.entry(q.key(), value);
                }
                Report r = new Report(before, after, evaluated, appended, succeeded, skipped);
                ObjectNode meta = input.meta() == null ? JsonNodeFactory.instance.objectNode() : input.meta().deepCopy();
                ObjectNode aug = runSettings.deepCopy();
                aug.put("generator", "lever generate rl --augment-diversity");
                aug.setAll(r.toJson());
                meta.set("diversity_augmentation", aug);
                if (!input.metaFirst()) for (Map.Entry<String, JsonNode> e : input.extras().entrySet()) w.entry(e.getKey(), e.getValue());
                w.meta(meta);
                w.commit();
                Files.deleteIfExists(journalFile);
                return r;
            }
        }
    }

    /** Journal records ({@code value.added} = the appended candidates) for a chunk of queries. */
    List<ObjectNode> augmentChunk(List<RlQuery> chunk) throws IOException {
        Map<String, ObjectNode> recs = new LinkedHashMap<>();
        List<Search> active = new ArrayList<>();
        Map<Search, GenItem> items = new LinkedHashMap<>();
        Map<Search, AnswerSources.Found> found = new LinkedHashMap<>();
        for (RlQuery q : chunk) {
            List<JsonNode> cands = new ArrayList<>();
            q.raw().get("pointer_candidates").forEach(cands::add);
            Search sr = new Search(q, classify(accs(cands)));
            GenItem item = data.get(q.index());
            AnswerSources.Found f = answers.find(item.annotationKey());
            if (f == null && !allowFallback) {
                recs.put(q.key(), record(sr, CandidateLabel.NO_ANNOTATION));
                continue;
            }
            items.put(sr, item);
            found.put(sr, f);
            active.add(sr);
        }
        Labeller labeller = new Labeller(data, vlm, allowFallback);
        while (true) {
            List<Search> round = new ArrayList<>();
            List<List<Proposal>> props = new ArrayList<>();
            List<Labeller.Job> jobs = new ArrayList<>();
            for (Search sr : active) {
                if (sr.done) continue;
                int room = sr.room();
                List<Proposal> ps = room <= 0 ? List.of() : sr.next(Math.min(room, s.batch()));
                if (ps.isEmpty()) { sr.done = true; continue; }
                List<int[]> seqs = new ArrayList<>();
                for (Proposal p : ps) seqs.add(p.ids());
                GenItem item = items.get(sr);
                round.add(sr);
                props.add(ps);
                jobs.add(new Labeller.Job(item, seqs, found.get(sr), item.answer() == null ? List.of() : List.of(item.answer())));
            }
            if (round.isEmpty()) break;
            List<List<Labeller.Result>> labels = labeller.label(jobs);
            for (int i = 0; i < round.size(); i++) {
                Search sr = round.get(i);
                for (int k = 0; k < props.get(i).size(); k++) {
                    Labeller.Result l = labels.get(i).get(k);
                    sr.evaluated++;
                    if (l.dropped()) continue;
                    Proposal p = props.get(i).get(k);
                    sr.added.add(candidateJson(sr, p, l.fields()));
                    if (success(sr.cls, l.fields().get("vqa_acc_score").asDouble())) { sr.success = true; sr.done = true; break; }
                }
            }
        }
        for (Search sr : active) recs.put(sr.q.key(), record(sr, null));
        List<ObjectNode> out = new ArrayList<>();
        for (RlQuery q : chunk) out.add(recs.get(q.key()));
        return out;
    }

    private static ObjectNode record(Search sr, String skip) {
        ObjectNode r = JsonNodeFactory.instance.objectNode();
        r.put("key", sr.q.key());
        ArrayNode added = r.putObject("value").putArray("added");
        sr.added.forEach(added::add);
        ObjectNode st = r.putObject("stats");
        st.put("class", sr.cls);
        st.put("evaluated", sr.evaluated);
        st.put("success", sr.success);
        if (skip != null) st.put("skip_reason", skip);
        return r;
    }

    /** A new candidate in the query's pointer format (k64: local {@code pointer} + {@code pointer_global}; else global ids). */
    private ObjectNode candidateJson(Search sr, Proposal p, ObjectNode label) {
        ObjectNode o = JsonNodeFactory.instance.objectNode();
        RlQuery q = sr.q;
        ArrayNode ptr = o.putArray("pointer");
        if (q.candidatePoolIds() != null && q.isLocal()) {
            int[] pool = q.candidatePoolIds();
            for (int g : p.ids()) for (int i = 0; i < pool.length; i++) if (pool[i] == g) { ptr.add(i); break; }
            ArrayNode gl = o.putArray("pointer_global");
            for (int g : p.ids()) gl.add(g);
        } else {
            for (int g : p.ids()) ptr.add(g);
            if (!q.candidates().isEmpty() && q.candidates().get(0).pointerPos() != null) {
                ArrayNode pp = o.putArray("pointer_pos");
                for (int g : p.ids()) pp.add(g);
            }
        }
        o.put("gen_method", p.method());
        if (p.proxy() != null) o.put("proxy_score", p.proxy());
        o.setAll(label);
        o.put("aug_type", sr.cls);
        o.put("aug_round", p.round());
        return o;
    }
}
