package org.leverplus.sft;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.leverplus.data.SftBeamData;
import org.leverplus.data.SftBeamEntry;
import org.leverplus.data.VqaDataset;
import org.leverplus.io.AtomicOutput;
import org.leverplus.torch.TorchRuntime;
import org.leverplus.vlm.Qwen25VlSnapshot;
import org.leverplus.vlm.engine.EngineOptions;
import org.leverplus.vlm.engine.ImageInputs;
import org.leverplus.vlm.engine.VlmEngine;
import org.leverplus.vlm.image.QwenImageProcessor;
import org.leverplus.vlm.model.ModelOptions;
import org.leverplus.vlm.model.Qwen25VlModel;
import org.leverplus.vlm.text.IcdPromptBuilder;
import org.leverplus.vlm.text.QwenTokenizer;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code lever generate sft}: InfoScore beam search for every anchor of a pools file, with the in-process VLM.
 * Finished anchors are appended (and forced to disk) to a journal beside the output, {@code .OUT.journal}; a rerun
 * with the same settings skips them, so a run stopped at any moment and rerun writes the same bytes as an
 * uninterrupted one (each anchor's computation depends on that anchor alone). The SFT file appears, complete, at the
 * end, with a sidecar {@code OUT.meta.json} (snapshot fingerprint, every setting); the journal is then removed.
 */
public final class SftGenerator {
    /** Everything that determines the output (the journal's header). */
    public record Settings(InfoScoreBeamSearch.Settings search, ModelOptions model, EngineOptions engine, int limit,
                           int shardIndex, int shardCount, boolean overwrite) {
        public Settings {
            if (shardCount < 1 || shardIndex < 0 || shardIndex >= shardCount)
                throw new IllegalArgumentException("--shard must be i/n with 0 <= i < n, got " + shardIndex + "/" + shardCount);
        }
    }

    /** What a run did. */
    public record Summary(int anchors, int computed, int resumed, long prompts, long visionPasses, long prefixHits, double seconds) {
        @Override public String toString() {
            return String.format("%d anchors (%d computed, %d from the journal), %d prompts scored, %d vision passes, %d prefix-cache hits, %.1f s",
                    anchors, computed, resumed, prompts, visionPasses, prefixHits, seconds);
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();

    private SftGenerator() {}

    /**
     * The anchors of this run: the pools' anchors in file order, the first {@code limit}, then this shard's contiguous
     * block (shard i of n takes anchors [i*A/n, (i+1)*A/n)), so shard files concatenated in shard order are the file a
     * single run writes ({@code lever data merge}).
     */
    static List<Integer> anchors(Map<Integer, int[]> pools, Settings s) {
        List<Integer> all = new ArrayList<>(pools.keySet());
        if (s.limit() > 0 && s.limit() < all.size()) all = all.subList(0, s.limit());
        int n = all.size();
        return new ArrayList<>(all.subList((int) ((long) s.shardIndex() * n / s.shardCount()), (int) ((long) (s.shardIndex() + 1) * n / s.shardCount())));
    }

    public static Summary run(VqaDataset train, Path trainImages, Map<Integer, int[]> pools, Path snapshotDir, Settings s,
                              Path out, PrintStream progress) throws IOException {
        return run(train, trainImages, pools, snapshotDir, s, out, progress, a -> { });
    }

    /** As above; {@code afterAnchor} runs after each anchor is journaled (tests stop a run there). */
    static Summary run(VqaDataset train, Path trainImages, Map<Integer, int[]> pools, Path snapshotDir, Settings s,
                       Path out, PrintStream progress, java.util.function.IntConsumer afterAnchor) throws IOException {
        Path meta = metaFile(out);
        if (!s.overwrite()) {
            for (Path p : List.of(out, meta)) if (Files.exists(p)) throw new FileAlreadyExistsException(p + " exists (use --overwrite to replace it)");
        }
        List<Integer> anchors = anchors(pools, s);
        for (int a : anchors) {
            if (a < 0 || a >= train.size()) throw new IllegalArgumentException("anchor " + a + " is not a training item (0.." + (train.size() - 1) + ")");
            for (int c : pools.get(a)) {
                if (c < 0 || c >= train.size()) throw new IllegalArgumentException("anchor " + a + ": candidate " + c + " is not a training item (0.." + (train.size() - 1) + ")");
                if (c == a) throw new IllegalArgumentException("anchor " + a + ": its pool contains the anchor itself");
            }
            if (pools.get(a).length < s.search().shots())
                throw new IllegalArgumentException("anchor " + a + ": " + pools.get(a).length + " candidates for " + s.search().shots() + " shots");
        }
        TorchRuntime.init();
        Qwen25VlSnapshot snap = Qwen25VlSnapshot.open(snapshotDir);
        ObjectNode header = header(snapshotDir, s, anchors.size());
        Path journalFile = journalFile(out);
        if (s.overwrite()) Files.deleteIfExists(journalFile);
        long t0 = System.nanoTime();
        try (Journal journal = Journal.open(journalFile, header);
             QwenTokenizer tok = QwenTokenizer.load(snap.tokenizerJson());
             Qwen25VlModel model = Qwen25VlModel.load(snap, s.model());
             VlmEngine engine = new VlmEngine(model, s.engine())) {
            VlmInfoScorer scorer = new VlmInfoScorer(train, trainImages, engine, IcdPromptBuilder.leverPlus(tok),
                    new ImageInputs(new QwenImageProcessor(snap.preprocessorConfig())));
            int resumed = 0, computed = 0;
            for (int i = 0; i < anchors.size(); i++) {
                int a = anchors.get(i);
                if (journal.done.containsKey(a)) {
                    resumed++;
                    continue;
                }
                engine.resetPromptState(); // an anchor's result depends on the anchor alone
                ObjectNode entry = InfoScoreBeamSearch.search(a, pools.get(a), s.search(), scorer);
                journal.append(a, entry);
                computed++;
                afterAnchor.accept(a);
                if (progress != null) {
                    double sec = (System.nanoTime() - t0) / 1e9;
                    double rate = computed / Math.max(sec, 1e-9);
                    progress.printf("\rgenerate sft %d/%d anchors  %.2f anchors/s  %.1f prompts/s  ETA %.0f s   ", i + 1, anchors.size(), rate,
                            scorer.prompts() / Math.max(sec, 1e-9), (anchors.size() - i - 1) / Math.max(rate, 1e-9));
                    progress.flush();
                }
            }
            if (progress != null && computed > 0) progress.println();
            List<SftBeamEntry> entries = new ArrayList<>();
            for (int a : anchors) entries.add(SftBeamEntry.parse(String.valueOf(a), journal.done.get(a), out.toString()));
            new SftBeamData(entries, Map.of(), false).write(out, s.overwrite());
            try (AtomicOutput m = AtomicOutput.create(meta, true)) {
                m.stream().write(JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(header));
                m.commit();
            }
            Summary sum = new Summary(anchors.size(), computed, resumed, scorer.prompts(), engine.visionCalls(), engine.prefixHits(),
                    (System.nanoTime() - t0) / 1e9);
            journal.close();
            Files.deleteIfExists(journalFile);
            return sum;
        }
    }

    public static Path metaFile(Path out) {
        String n = out.getFileName().toString();
        return out.resolveSibling((n.endsWith(".json") ? n.substring(0, n.length() - 5) : n) + ".meta.json");
    }

    static Path journalFile(Path out) { return out.toAbsolutePath().resolveSibling("." + out.getFileName() + ".journal"); }

    /** The settings and the snapshot fingerprint (config and weight headers, file sizes): the sidecar and the journal header. */
    static ObjectNode header(Path snapshotDir, Settings s, int anchors) throws IOException {
        ObjectNode h = JSON.createObjectNode();
        h.put("format", "lever-sft/1");
        h.put("snapshot", snapshotDir.toAbsolutePath().toString());
        h.put("snapshot_fingerprint", fingerprint(snapshotDir));
        h.put("beam_size", s.search().beamSize());
        h.put("shots", s.search().shots());
        h.put("order", s.search().order().name().toLowerCase());
        h.put("per_beam_topk", s.search().perBeam().name().toLowerCase());
        h.put("score", "exp(-mean CE) over the answer tokens");
        h.put("dtype", s.model().dtype().toString());
        h.put("device", s.model().device());
        h.put("image_cache", s.engine().imageCache());
        h.put("prefix_cache", s.engine().prefixCache());
        h.put("limit", s.limit());
        h.put("shard", s.shardIndex() + "/" + s.shardCount());
        h.put("anchors", anchors);
        return h;
    }

    /** SHA-256 over config.json, tokenizer.json and each weight file's name, size and safetensors header. */
    static String fingerprint(Path dir) throws IOException {
        java.security.MessageDigest md;
        try {
            md = java.security.MessageDigest.getInstance("SHA-256");
        } catch (java.security.NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        List<Path> files;
        try (var st = Files.list(dir)) {
            files = st.filter(Files::isRegularFile).sorted().toList();
        }
        for (Path f : files) {
            String name = f.getFileName().toString();
            md.update((name + "\t" + Files.size(f) + "\n").getBytes(StandardCharsets.UTF_8));
            if (name.equals("config.json") || name.equals("tokenizer.json")) md.update(Files.readAllBytes(f));
            else if (name.endsWith(".safetensors")) {
                try (FileChannel ch = FileChannel.open(f, StandardOpenOption.READ)) {
                    ByteBuffer b = ByteBuffer.allocate((int) Math.min(ch.size(), 1 << 20));
                    ch.read(b, 0);
                    md.update(b.flip());
                }
            }
        }
        return java.util.HexFormat.of().formatHex(md.digest());
    }

    /** Finished anchors, one JSON line each after a header line; a torn last line (a kill mid-write) is dropped. */
    private static final class Journal implements AutoCloseable {
        final Map<Integer, JsonNode> done = new LinkedHashMap<>();
        private final FileChannel ch;

        private Journal(FileChannel ch) { this.ch = ch; }

        static Journal open(Path file, ObjectNode header) throws IOException {
            boolean exists = Files.exists(file) && Files.size(file) > 0;
            FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
            Journal j = new Journal(ch);
            try {
                if (exists) {
                    byte[] all = Files.readAllBytes(file);
                    int end = all.length;
                    while (end > 0 && all[end - 1] != '\n') end--;
                    ch.truncate(end);
                    ch.position(end);
                    String[] lines = new String(all, 0, end, StandardCharsets.UTF_8).split("\n");
                    JsonNode h = lines.length > 0 && !lines[0].isBlank() ? JSON.readTree(lines[0]) : null;
                    if (h == null || !h.equals(JSON.readTree(JSON.writeValueAsString(header))))
                        throw new IllegalStateException(file + ": an interrupted run with other settings left this journal; rerun with those settings or use --overwrite");
                    for (int i = 1; i < lines.length; i++) {
                        if (lines[i].isBlank()) continue;
                        JsonNode n = JSON.readTree(lines[i]);
                        j.done.put(n.get("anchor").asInt(), n.get("entry"));
                    }
                } else {
                    j.write(JSON.writeValueAsString(header));
                }
            } catch (IOException | RuntimeException e) {
                ch.close();
                throw e;
            }
            return j;
        }

        void append(int anchor, ObjectNode entry) throws IOException {
            ObjectNode line = JSON.createObjectNode();
            line.put("anchor", anchor);
            line.set("entry", entry);
            write(JSON.writeValueAsString(line));
            done.put(anchor, JSON.readTree(JSON.writeValueAsString(entry)));
        }

        private void write(String line) throws IOException {
            ByteBuffer b = ByteBuffer.wrap((line + "\n").getBytes(StandardCharsets.UTF_8));
            while (b.hasRemaining()) ch.write(b);
            ch.force(false);
        }

        @Override public void close() throws IOException {
            if (ch.isOpen()) ch.close();
        }
    }
}
