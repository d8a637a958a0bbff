package org.leverplus.spark;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.apache.spark.api.java.JavaSparkContext;
import org.leverplus.cli.Stages;
import org.leverplus.clip.ClipEmbedder;
import org.leverplus.clip.ClipSnapshot;
import org.leverplus.data.DatasetItem;
import org.leverplus.data.Embeddings;
import org.leverplus.io.AtomicOutput;

import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

/**
 * {@code lever embed} as a distributed stage: the dataset in the {@code --chunk-rows} chunks the one-machine command
 * computes (so every batch holds the same rows), one task per chunk. A task runs {@link ClipEmbedder#run} on its rows
 * with the executor's CLIP model and returns one line per row ({@code {"row", "f32": base64 little-endian floats,
 * "skipped"?}}); the driver writes the {@code [N, d]} safetensors file {@code lever embed} writes, header and
 * metadata included.
 */
final class EmbedStage {
    private static final ObjectMapper JSON = new ObjectMapper();
    final String[] args;
    final Stages.Embed spec;

    EmbedStage(String[] args) {
        this.args = args.clone();
        this.spec = Stages.embed(args);
    }

    DistributedRun.Summary run(JavaSparkContext sc, UnaryOperator<ChunkRunner> wrap, boolean keepParts, PrintStream log) throws Exception {
        Path out = spec.out();
        if (Files.exists(out) && !spec.overwrite()) throw new FileAlreadyExistsException(out + " exists (use --overwrite)");
        ClipEmbedder.Options o = spec.options();
        List<DatasetItem> items = spec.items();
        for (int i = 0; i < items.size(); i++) {
            if (items.get(i).id() != i) throw new IllegalArgumentException("items must be in global-id order; position " + i + " holds " + items.get(i).describe());
        }
        int dim = ClipSnapshot.open(spec.snapshot()).config().projectionDim();
        Map<String, Object> plan = new LinkedHashMap<>();
        plan.put("stage", "embed");
        plan.put("flags", VlmStage.planFlags(args));
        plan.put("items_sha256", itemsHash(items));
        plan.put("snapshot_sha256", VlmStage.dirSha256(spec.snapshot()));
        ChunkRunner runner = runner(args);
        if (wrap != null) runner = wrap.apply(runner);
        int n = items.size();
        String kind = o.kind().name().toLowerCase(Locale.ROOT);
        boolean overwrite = spec.overwrite();
        DistributedRun.Finisher assemble = (store, chunks) -> assemble(store, chunks, n, dim, kind, out, overwrite);
        return DistributedRun.run(sc, "embed", Chunk.split(n, o.chunkRows()), plan, runner, ChunkStore.beside(out), assemble,
                spec.device(), keepParts, log);
    }

    /** The rows of the items and their identity (what {@code lever embed} reads of each). */
    private static String itemsHash(List<DatasetItem> items) {
        var md = VlmStage.digest();
        for (DatasetItem it : items) {
            md.update((it.id() + "\t" + it.sourceId() + "\t" + it.image() + "\t" + it.question() + "\n").getBytes(StandardCharsets.UTF_8));
        }
        return java.util.HexFormat.of().formatHex(md.digest());
    }

    /** The executor side: the command's items and its CLIP model, loaded once per executor JVM and device. */
    static final class Embedder implements AutoCloseable {
        final List<DatasetItem> items;
        final ClipEmbedder.Options options;
        final Stages.Clip clip;

        Embedder(Stages.Embed e, String device) throws IOException {
            this.items = e.items();
            ClipEmbedder.Options o = e.options();
            this.options = new ClipEmbedder.Options(o.kind(), o.batchSize(), o.chunkRows(), o.decodeThreads(), o.skipBad(), false);
            this.clip = e.load(device);
        }

        /** Rows {@code [from, to)}: {@link ClipEmbedder#run} over them alone (ids renumbered from 0), one line per row. */
        synchronized List<String> lines(Chunk c) throws IOException {
            List<DatasetItem> sub = new ArrayList<>();
            for (int i = c.from(); i < c.to(); i++) {
                DatasetItem it = items.get(i);
                sub.add(new DatasetItem(i - c.from(), it.sourceId(), it.image(), it.question(), it.answer(), it.answers()));
            }
            Path tmp = Files.createTempDirectory("lever-embed-chunk-");
            try {
                Path f = tmp.resolve("chunk.safetensors");
                try {
                    ClipEmbedder.run(clip.model(), clip.tokenizer(), clip.images(), sub, f, options, null);
                } catch (IOException | RuntimeException e) {
                    // the embedder names the item by its position in this chunk: name it by its global id
                    throw new IOException(globalItem(String.valueOf(e.getMessage()), c.from()), e);
                }
                Embeddings e = Embeddings.readSafetensors(f);
                TreeSet<Integer> skipped = new TreeSet<>();
                String ids = e.metadata().get("skipped_ids");
                if (ids != null && ids.length() > 2) {
                    for (String s : ids.substring(1, ids.length() - 1).split(",")) skipped.add(Integer.parseInt(s.trim()));
                }
                List<String> lines = new ArrayList<>(e.rows());
                ByteBuffer b = ByteBuffer.allocate(e.dim() * 4).order(ByteOrder.LITTLE_ENDIAN);
                for (int r = 0; r < e.rows(); r++) {
                    b.clear();
                    for (float v : e.row(r)) b.putFloat(v);
                    ObjectNode line = JSON.createObjectNode();
                    line.put("row", c.from() + r);
                    line.put("f32", Base64.getEncoder().encodeToString(b.array()));
                    if (skipped.contains(r)) line.put("skipped", true);
                    lines.add(JSON.writeValueAsString(line));
                }
                return lines;
            } finally {
                deleteTree(tmp);
            }
        }

        @Override public void close() { clip.close(); }
    }

    /** {@code "item 3 (id ...": the chunk's item 3} as the dataset's item {@code from + 3}. */
    static String globalItem(String message, int from) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("^item (\\d+) ").matcher(message);
        return m.find() ? "item " + (from + Integer.parseInt(m.group(1))) + " " + message.substring(m.end()) : message;
    }

    private static void deleteTree(Path dir) throws IOException {
        if (!Files.exists(dir)) return;
        try (Stream<Path> s = Files.walk(dir)) {
            for (Path p : s.sorted(java.util.Comparator.reverseOrder()).toList()) Files.deleteIfExists(p);
        }
    }

    static ChunkRunner runner(String[] args) {
        String[] a = args.clone();
        return (chunk, device) -> {
            String key = "embed\u0000" + String.join("\u0000", a) + "\u0000" + device;
            Embedder e = ExecutorModels.get(key, () -> new Embedder(Stages.embed(a), device));
            return e.lines(chunk);
        };
    }

    /** Writes what {@code lever embed} writes: the safetensors header (kind, rows, skipped ids), then the rows in order. */
    static void assemble(ChunkStore store, int chunks, int n, int dim, String kind, Path out, boolean overwrite) throws IOException {
        List<Integer> skipped = new ArrayList<>();
        for (int c = 0; c < chunks; c++) {
            for (String l : Files.readAllLines(store.chunkFile(c), StandardCharsets.UTF_8)) {
                if (l.contains("\"skipped\"")) skipped.add(JSON.readTree(l).get("row").asInt());
            }
        }
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("kind", kind);
        meta.put("rows", Integer.toString(n));
        if (!skipped.isEmpty()) meta.put("skipped_ids", skipped.toString());
        try (AtomicOutput a = AtomicOutput.create(out, overwrite)) {
            OutputStream s = a.stream();
            Embeddings.writeHeader(s, n, dim, meta);
            int next = 0;
            for (int c = 0; c < chunks; c++) {
                Path f = store.chunkFile(c);
                int lineNo = 0;
                for (String l : Files.readAllLines(f, StandardCharsets.UTF_8)) {
                    lineNo++;
                    JsonNode row = JSON.readTree(l);
                    byte[] bytes = row.hasNonNull("f32") ? Base64.getDecoder().decode(row.get("f32").asText()) : null;
                    if (row.path("row").asInt(-1) != next || bytes == null || bytes.length != dim * 4) {
                        throw new IllegalStateException(f + " line " + lineNo + ": expected row " + next + " with " + dim
                                + " float32 values (field \"f32\") but found row " + row.path("row") + (bytes == null ? " without \"f32\"" : " with " + bytes.length / 4 + " values"));
                    }
                    s.write(bytes);
                    next++;
                }
            }
            if (next != n) throw new IllegalStateException(store.dir() + ": the chunks hold " + next + " rows, expected " + n);
            a.commit();
        }
    }
}
