package org.leverplus.datagen;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.leverplus.data.RlDataWriter;
import org.leverplus.io.AtomicOutput;
import org.leverplus.io.JsonSupport;
import org.leverplus.torch.TorchRuntime;
import org.leverplus.vlm.Qwen25VlSnapshot;
import org.leverplus.vlm.engine.EngineOptions;
import org.leverplus.vlm.engine.VlmEngine;
import org.leverplus.vlm.model.ModelOptions;
import org.leverplus.vlm.model.Qwen25VlModel;
import org.leverplus.vlm.text.QwenTokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.DigestInputStream;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;

/**
 * File-to-file SFT data generation behind {@code lever generate sft}: reads the pools and items, checks every anchor
 * before loading the model, runs {@link InfoScoreBeamSearch} anchor by anchor with a journal ({@link SftJournal}),
 * then writes the original's SFT JSON (anchors in pools-file order) and a sidecar {@code SFT.meta.json} with the
 * snapshot hash and every setting. Output and meta appear atomically; the journal is removed at the end.
 */
public final class SftRun {
    /** One of {@code count} deterministic slices of the anchor list: contiguous blocks, so shard files merged in order equal one run. */
    public record Shard(int index, int count) {
        public Shard {
            if (count < 1 || index < 0 || index >= count)
                throw new IllegalArgumentException("--shard: expected i/n with 0 <= i < n but found " + index + "/" + count);
        }

        public static Shard parse(String s) {
            String[] p = s.split("/");
            try {
                if (p.length == 2) return new Shard(Integer.parseInt(p[0].trim()), Integer.parseInt(p[1].trim()));
            } catch (NumberFormatException ignored) {
                // reported below
            }
            throw new IllegalArgumentException("--shard: expected i/n (e.g. 0/4) but found \"" + s + "\"");
        }

        public static Shard all() { return new Shard(0, 1); }

        <T> List<T> select(List<T> all) {
            int n = all.size();
            return all.subList((int) ((long) index * n / count), (int) ((long) (index + 1) * n / count));
        }

        @Override public String toString() { return index + "/" + count; }
    }

    /**
     * Everything a run needs.
     *
     * @param batchVision several uncached images per vision pass (see {@link InfoScoreBeamSearch}; resume then equal
     *                    within float tolerance, not byte for byte)
     * @param limit at most this many anchors (the first ones in the pools file, before sharding); 0 = all
     */
    public record Options(Path snapshot, Path pools, Path out, SftInputs.Items items, BeamSearchSettings search,
                          ModelOptions model, EngineOptions engine, boolean batchVision, int limit, Shard shard, boolean skipBad, boolean overwrite) {
        public Options {
            if (limit < 0) throw new IllegalArgumentException("--limit must be >= 0 but is " + limit);
        }
    }

    /** What a run did. */
    public record Summary(int anchors, int resumed, int skipped, long promptsScored, long visionCalls, long visionBatches, long prefixHits,
                          long prefixMisses, long tokensComputed, long promptTokens, double seconds) {
        @Override public String toString() {
            return String.format(Locale.ROOT, "%d anchors searched (%d from the journal, %d skipped) in %.1f s (%.3f anchors/s); "
                            + "%d prompts scored (%.1f/s), %d images through the vision tower (%d batched passes), prefix cache %d hits / %d misses, "
                            + "%d tokens computed vs %d without caches (%.2fx fewer)",
                    anchors, resumed, skipped, seconds, anchors / Math.max(seconds, 1e-9), promptsScored, promptsScored / Math.max(seconds, 1e-9),
                    visionCalls, visionBatches, prefixHits, prefixMisses, tokensComputed, promptTokens,
                    tokensComputed == 0 ? 0.0 : (double) promptTokens / tokensComputed);
        }
    }

    private SftRun() {}

    /** Tests only: throw after this many anchors were journaled in a run (a crash right after a flush); -1 = never. */
    static int crashAfterAnchors = -1;

    /** The sidecar of {@code out}: {@code SFT.json -> SFT.meta.json}. */
    public static Path metaPath(Path out) {
        String name = out.getFileName().toString();
        String base = name.endsWith(".json") ? name.substring(0, name.length() - 5) : name;
        return out.resolveSibling(base + ".meta.json");
    }

    public static Summary run(Options o, PrintStream progress) throws IOException {
        long t0 = System.nanoTime();
        Path journalPath = SftJournal.pathFor(o.out());
        if (Files.exists(o.out()) && !o.overwrite() && !Files.exists(journalPath))
            throw new FileAlreadyExistsException(o.out() + " exists (use --overwrite to replace it)");
        Plan plan = plan(o);
        List<Integer> anchors = plan.anchors();
        Map<Integer, String> bad = plan.bad();

        ObjectNode settings = settings(o);
        Files.createDirectories(o.out().toAbsolutePath().getParent());
        Qwen25VlSnapshot.open(o.snapshot()); // a broken snapshot fails before the journal is started
        int resumed, skipped = 0;
        long visions, batches, hits, misses, tokens, promptsScored, promptTokens;
        try (SftJournal journal = SftJournal.open(journalPath, settings)) {
            resumed = 0;
            for (int a : anchors) if (journal.done().containsKey(a)) resumed++;
            for (Map.Entry<Integer, String> e : bad.entrySet())
                if (!journal.done().containsKey(e.getKey())) journal.skipped(e.getKey(), e.getValue());
            List<Integer> todo = new ArrayList<>();
            for (int a : anchors) if (!journal.done().containsKey(a)) todo.add(a);
            if (todo.isEmpty()) { // everything journaled (a resumed or distributed run): no model needed
                visions = batches = hits = misses = tokens = promptsScored = promptTokens = 0;
            } else try (Searcher searcher = Searcher.open(o)) {
                long t1 = System.nanoTime();
                int done = 0;
                for (int a : todo) {
                    JsonNode line = searcher.line(plan, a);
                    if (line.has("entry")) journal.entry(a, (ObjectNode) line.get("entry"));
                    else journal.skipped(a, line.get("skipped").asText());
                    done++;
                    progress(progress, done, todo.size(), searcher.search.promptsScored(), t1);
                    if (done == crashAfterAnchors) throw new IllegalStateException("simulated crash after " + done + " anchors");
                }
                VlmEngine engine = searcher.engine;
                visions = engine.visionCalls();
                batches = engine.visionBatches();
                hits = engine.prefixHits();
                misses = engine.prefixMisses();
                tokens = engine.tokensComputed();
                promptsScored = searcher.search.promptsScored();
                promptTokens = searcher.search.promptTokens();
            }
            // Output in pools-file order, every value read back from the journal: a resumed run writes the same bytes.
            ArrayNode skippedList = JsonNodeFactory.instance.arrayNode();
            int written = 0;
            try (RlDataWriter w = RlDataWriter.open(o.out(), true)) {
                for (int a : anchors) {
                    JsonNode line = journal.done().get(a);
                    if (line.has("entry")) {
                        w.entry(Integer.toString(a), line.get("entry"));
                        written++;
                    } else {
                        skipped++;
                        ObjectNode s = skippedList.addObject();
                        s.put("anchor", a);
                        s.put("reason", line.get("skipped").asText());
                    }
                }
                ObjectNode meta = JsonNodeFactory.instance.objectNode();
                meta.put("format", "lever-sft-meta");
                meta.put("lever_version", String.valueOf(SftRun.class.getPackage().getImplementationVersion()));
                meta.set("settings", settings);
                meta.put("anchors_written", written);
                meta.put("anchors_skipped", skipped);
                meta.set("skipped", skippedList);
                writeJson(metaPath(o.out()), meta);
                w.commit();
            }
        }
        Files.deleteIfExists(journalPath);
        return new Summary(anchors.size(), resumed, skipped, promptsScored, visions, batches, hits, misses, tokens,
                promptTokens, (System.nanoTime() - t0) / 1e9);
    }

    /**
     * The anchors a run searches (pools-file order, after {@code --limit} and {@code --shard}), each checked before
     * any model is loaded: a bad anchor fails here (one line naming the pools file and the anchor), or with
     * {@code skipBad} is listed in {@code bad} with its reason.
     */
    public record Plan(List<Integer> anchors, Map<Integer, String> bad, Map<Integer, SftItem> anchorItems,
                       Map<Integer, List<SftItem>> poolItems) {}

    /** Reads the pools and checks every anchor of {@code o}'s run (see {@link Plan}). */
    public static Plan plan(Options o) throws IOException {
        LinkedHashMap<Integer, int[]> pools = SftInputs.readPools(o.pools());
        List<Integer> anchors = new ArrayList<>(pools.keySet());
        if (o.limit() > 0 && anchors.size() > o.limit()) anchors = anchors.subList(0, o.limit());
        anchors = List.copyOf(o.shard().select(anchors));

        // Check every anchor before loading the model: a bad anchor fails now, not hours later.
        Map<Integer, String> bad = new LinkedHashMap<>();
        Map<Integer, SftItem> anchorItems = new LinkedHashMap<>();
        Map<Integer, List<SftItem>> poolItems = new LinkedHashMap<>();
        for (int a : anchors) {
            try {
                SftItem item = o.items().get(a);
                if (item == null) throw new BadAnchorException(a, "not in " + o.items().describe());
                List<SftItem> pool = new ArrayList<>();
                for (int c : pools.get(a)) {
                    SftItem ci = o.items().get(c);
                    if (ci == null) throw new BadAnchorException(a, "its pool names candidate " + c + ", which is not in " + o.items().describe());
                    pool.add(ci);
                }
                poolItems.put(a, InfoScoreBeamSearch.checkedPool(item, pool, o.search()));
                anchorItems.put(a, item);
            } catch (BadAnchorException e) {
                if (!o.skipBad()) throw new IllegalArgumentException(o.pools() + ": " + e.getMessage() + " (--skip-bad skips and counts such anchors)");
                bad.put(a, e.reason());
            }
        }
        return new Plan(anchors, bad, anchorItems, poolItems);
    }

    /**
     * The model side of a run: the snapshot loaded once, then anchors searched one at a time, each giving its journal
     * line. {@link #run} searches with one; a distributed run (Spark) has one per executor and imports the lines its
     * tasks return with {@link #importJournal}.
     */
    public static final class Searcher implements AutoCloseable {
        private final Options o;
        private final Qwen25VlModel model;
        private final VlmEngine engine;
        private final QwenTokenizer tokenizer;
        private final InfoScoreBeamSearch search;

        private Searcher(Options o, Qwen25VlModel model, VlmEngine engine, QwenTokenizer tokenizer, InfoScoreBeamSearch search) {
            this.o = o;
            this.model = model;
            this.engine = engine;
            this.tokenizer = tokenizer;
            this.search = search;
        }

        /** Loads {@code o}'s snapshot on {@code o.model().device()}. */
        public static Searcher open(Options o) throws IOException {
            TorchRuntime.init();
            Qwen25VlSnapshot snap = Qwen25VlSnapshot.open(o.snapshot());
            Qwen25VlModel model = Qwen25VlModel.load(snap, o.model());
            VlmEngine engine = null;
            try {
                engine = new VlmEngine(model, o.engine());
                QwenTokenizer tokenizer = QwenTokenizer.load(snap.tokenizerJson());
                return new Searcher(o, model, engine, tokenizer,
                        new InfoScoreBeamSearch(engine, tokenizer, snap.preprocessorConfig(), o.search(), o.batchVision()));
            } catch (IOException | RuntimeException e) {
                if (engine != null) engine.close();
                model.close();
                throw e;
            }
        }

        /**
         * Searches anchor {@code a} of {@code plan}: its journal line, {@code {"anchor", "entry"}} or (a bad anchor
         * under {@code skipBad}) {@code {"anchor", "skipped"}}.
         * @throws IllegalArgumentException for a bad anchor without {@code skipBad}, naming the pools file and anchor
         */
        public ObjectNode line(Plan plan, int a) throws IOException {
            if (plan.bad().containsKey(a)) return SftJournal.skippedLine(a, plan.bad().get(a));
            try {
                return SftJournal.entryLine(a, search.search(plan.anchorItems().get(a), plan.poolItems().get(a)).toJson());
            } catch (BadAnchorException e) {
                if (!o.skipBad()) throw new IllegalArgumentException(o.pools() + ": " + e.getMessage() + " (--skip-bad skips and counts such anchors)");
                return SftJournal.skippedLine(a, e.reason());
            }
        }

        /** A journal line as the journal writes it (doubles in their shortest round-trip form). */
        public static String text(ObjectNode line) throws IOException { return SftJournal.text(line); }

        @Override public void close() throws IOException {
            try (model; engine; tokenizer) {
                // closed in reverse order
            }
        }
    }

    /**
     * Adds journal lines computed elsewhere (by {@link Searcher#line}, as JSON text) to {@code o}'s journal, skipping
     * anchors it already holds; {@link #run} then finds them done and only writes the output.
     * @throws IllegalArgumentException naming the line that is not a journal line
     */
    public static void importJournal(Options o, List<String> lines) throws IOException {
        Files.createDirectories(o.out().toAbsolutePath().getParent());
        try (SftJournal journal = SftJournal.open(SftJournal.pathFor(o.out()), settings(o))) {
            for (String l : lines) {
                JsonNode n;
                try {
                    n = SftJournal.parse(l);
                } catch (IOException e) {
                    throw new IllegalArgumentException("SFT journal line: not valid JSON: " + e.getMessage());
                }
                JsonNode a = n == null ? null : n.get("anchor");
                if (a == null || !a.canConvertToInt() || (!(n.get("entry") instanceof ObjectNode) && n.get("skipped") == null))
                    throw new IllegalArgumentException("SFT journal line: expected {\"anchor\": id, \"entry\"|\"skipped\": ...} but found " + l);
                if (journal.done().containsKey(a.intValue())) continue;
                if (n.has("entry")) journal.entry(a.intValue(), (ObjectNode) n.get("entry"));
                else journal.skipped(a.intValue(), n.get("skipped").asText());
            }
        }
    }

    /** Every setting that decides the output (the journal header and the meta file's {@code settings}). */
    static ObjectNode settings(Options o) throws IOException {
        ObjectNode s = JsonNodeFactory.instance.objectNode();
        ObjectNode snap = s.putObject("snapshot");
        snap.put("path", o.snapshot().toAbsolutePath().normalize().toString());
        snap.put("sha256", snapshotHash(o.snapshot()));
        ObjectNode pools = s.putObject("pools");
        pools.put("path", o.pools().toAbsolutePath().normalize().toString());
        pools.put("sha256", InfoScoreBeamSearch.sha256(Files.readAllBytes(o.pools())));
        s.put("dataset", o.items().describe());
        s.set("search", o.search().toJson());
        ObjectNode m = s.putObject("model");
        m.put("dtype", o.model().dtype() == org.bytedeco.pytorch.global.torch.ScalarType.BFloat16 ? "bfloat16" : "float32");
        m.put("device", o.model().device());
        ObjectNode e = s.putObject("engine");
        e.put("image_cache", o.engine().imageCache());
        e.put("prefix_cache", o.engine().prefixCache());
        e.put("batch_tokens", o.engine().maxBatchTokens());
        e.put("batch_size", o.engine().maxBatchSize());
        e.put("pad_left", o.engine().padLeft());
        e.put("batch_vision", o.batchVision());
        e.put("answer_tokens", "separate (the answer's own tokens)");
        s.put("limit", o.limit());
        s.put("shard", o.shard().toString());
        s.put("skip_bad", o.skipBad());
        return s;
    }

    /** SHA-256 over the snapshot's files (sorted by name; each name, then its bytes). */
    static String snapshotHash(Path dir) throws IOException {
        List<Path> files;
        try (Stream<Path> s = Files.list(dir)) {
            files = s.filter(Files::isRegularFile).sorted().toList();
        }
        try {
            MessageDigest md = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[1 << 20];
            for (Path f : files) {
                md.update(f.getFileName().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8));
                md.update((byte) 0);
                try (InputStream in = new DigestInputStream(Files.newInputStream(f), md)) {
                    while (in.read(buf) >= 0) { /* digesting */ }
                }
            }
            return java.util.HexFormat.of().formatHex(md.digest());
        } catch (java.security.NoSuchAlgorithmException ex) {
            throw new IllegalStateException("SHA-256 unavailable", ex);
        }
    }

    static void writeJson(Path path, ObjectNode node) throws IOException {
        try (AtomicOutput out = AtomicOutput.create(path, true)) {
            out.stream().write((JsonSupport.mapper().writerWithDefaultPrettyPrinter().writeValueAsString(node) + "\n")
                    .getBytes(java.nio.charset.StandardCharsets.UTF_8));
            out.commit();
        }
    }

    private static void progress(PrintStream p, int done, int total, long prompts, long t0) {
        if (p == null) return;
        double s = (System.nanoTime() - t0) / 1e9;
        double rate = done / Math.max(s, 1e-9);
        int bar = total == 0 ? 30 : (int) (30L * done / total);
        long eta = (long) ((total - done) / Math.max(rate, 1e-9));
        p.printf(Locale.ROOT, "\rsft [%s%s] %d/%d anchors  %.3f anchors/s  %.1f prompts/s  ETA %d:%02d:%02d", "#".repeat(bar), ".".repeat(30 - bar),
                done, total, rate, prompts / Math.max(s, 1e-9), eta / 3600, eta / 60 % 60, eta % 60);
        if (done == total) p.println();
        p.flush();
    }
}
