package org.leverplus.clip;

import com.fasterxml.jackson.databind.node.ObjectNode;
import org.leverplus.data.DatasetItem;
import org.leverplus.data.Embeddings;
import org.leverplus.io.AtomicOutput;
import org.leverplus.io.JsonSupport;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;

/**
 * {@code lever embed}: a dataset through CLIP in global-id order, to one {@code [N, d]} float32 safetensors file.
 * <ul>
 *   <li>{@code SELECTOR}: {@code normalize(mean(normalize(image_embeds), normalize(text_embeds)))} (spec 3.6; ViT-B/32)</li>
 *   <li>{@code IMAGE}, {@code TEXT}: L2-normalised {@code image_embeds} / {@code text_embeds} of the question (spec 3.4; ViT-L/14)</li>
 * </ul>
 * Images are decoded and preprocessed on worker threads while the model runs the previous batch (one batch ahead, so
 * at most two batches of pixels exist at once). Rows are written in chunks to {@code .OUT.parts/} (each chunk file
 * appears only when complete); a rerun after an interruption skips finished chunks, and the final file, assembled at
 * the end and renamed into place, is byte-identical to an uninterrupted run. A bad item (missing or undecodable image)
 * stops the run with an error naming it, or with {@code skipBad} becomes a zero row listed in the summary and in the
 * file's metadata ({@code skipped_ids}).
 */
public final class ClipEmbedder {
    private ClipEmbedder() {}

    public enum Kind { SELECTOR, IMAGE, TEXT }

    public record Options(Kind kind, int batchSize, int chunkRows, int decodeThreads, boolean skipBad, boolean overwrite) {
        public Options {
            if (batchSize <= 0) throw new IllegalArgumentException("--batch-size must be positive but was " + batchSize);
            if (chunkRows <= 0) throw new IllegalArgumentException("--chunk-rows must be positive but was " + chunkRows);
            if (decodeThreads <= 0) throw new IllegalArgumentException("--decode-threads must be positive but was " + decodeThreads);
        }
    }

    /**
     * @param modelWaitShare share of the run the model thread spent waiting for decoded images
     */
    public record Summary(int items, int dim, int chunksReused, List<Integer> skippedIds, long truncatedTexts, double seconds, double modelWaitShare) {
        public String line(Path out) {
            return String.format(Locale.ROOT, "embedded %d items -> [%d, %d] float32 %s in %.1f s (%.1f items/s; model waited for input %.0f%% of the time)%s%s%s",
                    items, items, dim, out, seconds, items / Math.max(seconds, 1e-9), 100 * modelWaitShare,
                    chunksReused > 0 ? "; " + chunksReused + " chunks reused from an interrupted run" : "",
                    truncatedTexts > 0 ? "; " + truncatedTexts + " questions truncated to the text positions" : "",
                    skippedIds.isEmpty() ? "" : "; " + skippedIds.size() + " bad items skipped as zero rows: ids " + preview(skippedIds));
        }
    }

    private static String preview(List<Integer> ids) {
        return ids.size() <= 10 ? ids.toString() : ids.subList(0, 10) + " ...";
    }

    public static Summary run(ClipModel model, ClipTokenizer tokenizer, ClipImageProcessor images, List<DatasetItem> items,
                              Path out, Options o, PrintWriter progress) throws IOException {
        if (!o.overwrite() && Files.exists(out)) throw new java.nio.file.FileAlreadyExistsException(out + " exists (use --overwrite)");
        boolean needImages = o.kind() != Kind.TEXT, needText = o.kind() != Kind.IMAGE;
        if (needImages && !model.config().hasVision()) throw new IllegalArgumentException("--kind " + o.kind().name().toLowerCase(Locale.ROOT) + " needs a vision tower but the snapshot has none");
        if (needText && !model.config().hasText()) throw new IllegalArgumentException("--kind " + o.kind().name().toLowerCase(Locale.ROOT) + " needs a text tower but the snapshot has none");
        for (int i = 0; i < items.size(); i++)
            if (items.get(i).id() != i) throw new IllegalArgumentException("items must be in global-id order; position " + i + " holds " + items.get(i).describe());
        int dim = model.config().projectionDim(), n = items.size();
        Path parts = out.toAbsolutePath().resolveSibling("." + out.getFileName() + ".parts");
        String fingerprint = fingerprint(model, items, o);
        prepareParts(parts, fingerprint);
        long t0 = System.nanoTime();
        long[] waitNanos = {0};
        int reused = 0;
        long truncatedBefore = tokenizer == null ? 0 : tokenizer.truncated();
        ExecutorService pool = Executors.newFixedThreadPool(o.decodeThreads(), r -> {
            Thread t = new Thread(r, "clip-decode");
            t.setDaemon(true);
            return t;
        });
        Progress bar = new Progress(progress, n);
        try {
            int chunks = (n + o.chunkRows() - 1) / o.chunkRows();
            for (int c = 0; c < chunks; c++) {
                int first = c * o.chunkRows(), rows = Math.min(o.chunkRows(), n - first);
                Path chunk = parts.resolve(String.format(Locale.ROOT, "chunk-%06d.f32", c));
                if (Files.isRegularFile(chunk) && Files.size(chunk) == (long) rows * dim * 4) {
                    reused++;
                    bar.advance(rows);
                    continue;
                }
                float[] block = new float[rows * dim];
                List<Integer> skipped = new ArrayList<>();
                Future<float[]>[] next = needImages ? submit(pool, images, items, first, Math.min(o.batchSize(), rows), skipped, o.skipBad()) : null;
                for (int b = 0; b < rows; b += o.batchSize()) {
                    int size = Math.min(o.batchSize(), rows - b);
                    Future<float[]>[] current = next;
                    if (needImages && b + size < rows)
                        next = submit(pool, images, items, first + b + size, Math.min(o.batchSize(), rows - b - size), skipped, o.skipBad());
                    float[] pixels = null;
                    if (needImages) {
                        long w0 = System.nanoTime();
                        pixels = gather(current, images.size());
                        waitNanos[0] += System.nanoTime() - w0;
                    }
                    float[][] img = needImages ? model.encodeImages(pixels, size).embeds() : null;
                    float[][] txt = null;
                    if (needText) {
                        List<String> qs = new ArrayList<>(size);
                        for (int i = 0; i < size; i++) qs.add(items.get(first + b + i).question());
                        txt = model.encodeText(tokenizer.encodeBatchPadded(qs)).embeds();
                    }
                    for (int i = 0; i < size; i++) {
                        int id = first + b + i;
                        float[] row = switch (o.kind()) {
                            case SELECTOR -> ClipModel.selectorEmbedding(img[i], txt[i]);
                            case IMAGE -> ClipModel.normalize(img[i]);
                            case TEXT -> ClipModel.normalize(txt[i]);
                        };
                        boolean bad;
                        synchronized (skipped) { bad = skipped.contains(id); }
                        if (bad) row = new float[dim];
                        System.arraycopy(row, 0, block, (b + i) * dim, dim);
                    }
                    bar.advance(size);
                }
                if (!skipped.isEmpty()) {
                    skipped.sort(Comparator.naturalOrder());
                    writeBytes(parts.resolve(String.format(Locale.ROOT, "chunk-%06d.skipped.json", c)), JsonSupport.mapper().writeValueAsBytes(skipped));
                }
                writeFloats(chunk, block);
            }
        } finally {
            pool.shutdownNow();
            bar.done();   // end the progress line, so an error starts on a line of its own
        }
        List<Integer> skipped = new ArrayList<>();
        try (Stream<Path> s = Files.list(parts)) {
            for (Path p : s.filter(p -> p.getFileName().toString().endsWith(".skipped.json")).sorted().toList())
                for (var id : JsonSupport.mapper().readTree(p.toFile())) skipped.add(id.asInt());
        }
        skipped.sort(Comparator.naturalOrder());
        assemble(parts, out, n, dim, o, skipped, model);
        deleteParts(parts);
        double secs = (System.nanoTime() - t0) / 1e9;
        return new Summary(n, dim, reused, skipped, tokenizer == null ? 0 : tokenizer.truncated() - truncatedBefore, secs, waitNanos[0] / 1e9 / Math.max(secs, 1e-9));
    }

    @SuppressWarnings("unchecked")
    private static Future<float[]>[] submit(ExecutorService pool, ClipImageProcessor images, List<DatasetItem> items, int first, int count,
                                            List<Integer> skipped, boolean skipBad) {
        Future<float[]>[] f = new Future[count];
        for (int i = 0; i < count; i++) {
            DatasetItem item = items.get(first + i);
            f[i] = pool.submit(() -> {
                float[] px = new float[images.size()];
                try {
                    images.process(item.image(), px, 0);
                } catch (IOException | RuntimeException e) {
                    if (!skipBad) throw new IOException(item.describe() + ": " + e.getMessage() + " (use --skip-bad to skip bad items)", e);
                    synchronized (skipped) { skipped.add(item.id()); }
                    java.util.Arrays.fill(px, 0f);
                }
                return px;
            });
        }
        return f;
    }

    private static float[] gather(Future<float[]>[] fs, int per) throws IOException {
        float[] out = new float[fs.length * per];
        for (int i = 0; i < fs.length; i++) {
            try {
                System.arraycopy(fs[i].get(), 0, out, i * per, per);
            } catch (ExecutionException e) {
                Throwable c = e.getCause();
                if (c instanceof IOException io) throw io;
                throw new IOException(c.getMessage(), c);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while decoding images", e);
            }
        }
        return out;
    }

    /** What must match for chunks of an earlier run to be reused. */
    private static String fingerprint(ClipModel model, List<DatasetItem> items, Options o) {
        long h = 1125899906842597L;
        for (DatasetItem it : items) h = 31 * h + (it.sourceId() * 1000003L) ^ it.question().hashCode() ^ it.image().toString().hashCode();
        return String.format(Locale.ROOT, "kind=%s items=%d chunk=%d dim=%d dtype=%s hash=%016x", o.kind(), items.size(), o.chunkRows(),
                model.config().projectionDim(), model.options().dtype(), h);
    }

    private static void prepareParts(Path parts, String fingerprint) throws IOException {
        Path fp = parts.resolve("run.txt");
        if (Files.isDirectory(parts) && Files.isRegularFile(fp) && Files.readString(fp).equals(fingerprint)) return;
        deleteParts(parts);
        Files.createDirectories(parts);
        writeBytes(fp, fingerprint.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    private static void deleteParts(Path parts) throws IOException {
        if (!Files.isDirectory(parts)) return;
        try (Stream<Path> s = Files.list(parts)) {
            for (Path p : s.toList()) Files.delete(p);
        }
        Files.delete(parts);
    }

    private static void assemble(Path parts, Path out, int n, int dim, Options o, List<Integer> skipped, ClipModel model) throws IOException {
        Map<String, String> meta = new java.util.LinkedHashMap<>();
        meta.put("kind", o.kind().name().toLowerCase(Locale.ROOT));
        meta.put("rows", Integer.toString(n));
        if (!skipped.isEmpty()) meta.put("skipped_ids", skipped.toString());
        try (AtomicOutput a = AtomicOutput.create(out, o.overwrite())) {
            OutputStream s = a.stream();
            Embeddings.writeHeader(s, n, dim, meta);
            int chunks = (n + o.chunkRows() - 1) / o.chunkRows();
            for (int c = 0; c < chunks; c++)
                try (InputStream in = Files.newInputStream(parts.resolve(String.format(Locale.ROOT, "chunk-%06d.f32", c)))) {
                    in.transferTo(s);
                }
            a.commit();
        }
    }

    private static void writeFloats(Path file, float[] v) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(v.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(v);
        writeBytes(file, b.array());
    }

    private static void writeBytes(Path file, byte[] bytes) throws IOException {
        AtomicOutput.writeBytes(file, bytes, true);
    }

    /** A progress line on stderr at most once a second: items, items/s, ETA. */
    private static final class Progress {
        private final PrintWriter out;
        private final int total;
        private final long t0 = System.nanoTime();
        private long last;
        private int done;

        Progress(PrintWriter out, int total) {
            this.out = out;
            this.total = total;
        }

        void advance(int n) {
            done += n;
            long now = System.nanoTime();
            if (out == null || now - last < 1_000_000_000L) return;
            last = now;
            double secs = (now - t0) / 1e9, rate = done / Math.max(secs, 1e-9);
            out.printf(Locale.ROOT, "\rembed: %d/%d items, %.1f items/s, ETA %ds   ", done, total, rate, (long) ((total - done) / Math.max(rate, 1e-9)));
            out.flush();
        }

        void done() {
            if (out != null && last != 0) { out.println(); out.flush(); }
        }
    }
}
