package org.leverplus.vlm.image;

import org.leverplus.vlm.PreprocessorConfig;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;

/**
 * The Qwen2.5-VL image pipeline as Lever-Plus runs it (qwen-vl-utils {@code fetch_image} then
 * {@code Qwen2VLImageProcessor}): decode to RGB ({@link ImageDecoder}), {@link SmartResize} with the snapshot's
 * pixel limits, PIL bicubic resize ({@link PilBicubic}), rescale by 1/255, CLIP mean/std normalisation, and the
 * flattening into patch rows.
 *
 * <p>Normalisation follows numpy's float semantics exactly: {@code x = float32(u8 * rescale_factor)} (the product in
 * float64, as {@code rescale} does), then {@code (x - float32(mean)) / float32(std)} in float32. It is a 256-entry
 * table per channel.
 *
 * <p>Flattening ({@code _preprocess} in the HF processor): the image is repeated {@code temporal_patch_size} times,
 * viewed as {@code (t, T, C, gh/m, m, p, gw/m, m, p)} and permuted to {@code (t, gh/m, gw/m, m, m, C, T, p, p)}, so
 * every 4 consecutive rows are one 2x2 merge block (one LLM token) and each row is ordered (channel, frame, y, x).
 *
 * <p>Thread-safe and stateless apart from the config; {@link #processAll} runs images in parallel.
 */
public final class QwenImageProcessor {
    private final PreprocessorConfig config;
    private final float[][] table = new float[3][256];

    public QwenImageProcessor(PreprocessorConfig config) {
        this.config = config;
        for (int c = 0; c < 3; c++) {
            float mean = config.imageMean().get(c).floatValue();
            float std = config.imageStd().get(c).floatValue();
            for (int u = 0; u < 256; u++) {
                float x = (float) (u * config.rescaleFactor());
                table[c][u] = (x - mean) / std;
            }
        }
    }

    public PreprocessorConfig config() { return config; }

    /** The normalised value of 8-bit level {@code u} in channel {@code c}. */
    public float normalise(int c, int u) { return table[c][u]; }

    /** Floats per patch row: {@code 3 * temporal * patch * patch}. */
    public int rowSize() { return 3 * config.temporalPatchSize() * config.patchSize() * config.patchSize(); }

    /** The size an image of {@code width x height} is resized to. */
    public SmartResize.Size targetSize(int width, int height) {
        return SmartResize.of(height, width, config.factor(), config.minPixels(), config.maxPixels());
    }

    /** The grid an image of {@code width x height} gets, without decoding it. */
    public ImageGrid gridFor(int width, int height) {
        SmartResize.Size s = targetSize(width, height);
        return new ImageGrid(1, s.height() / config.patchSize(), s.width() / config.patchSize());
    }

    /** Decodes and processes one file. */
    public ProcessedImage process(Path file) throws IOException {
        RgbImage img = ImageDecoder.decode(file);
        try {
            return process(img);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }

    /** Resizes (smart_resize + PIL bicubic) and normalises one decoded image. */
    public ProcessedImage process(RgbImage img) {
        SmartResize.Size s = targetSize(img.width(), img.height());
        RgbImage resized = (s.width() == img.width() && s.height() == img.height()) ? img : PilBicubic.resize(img, s.width(), s.height());
        return flatten(resized);
    }

    /** Normalises and flattens an image whose sides are already multiples of {@code patch * merge}. */
    public ProcessedImage flatten(RgbImage img) {
        int p = config.patchSize(), m = config.mergeSize(), tps = config.temporalPatchSize();
        if (img.height() % (p * m) != 0 || img.width() % (p * m) != 0)
            throw new IllegalArgumentException("image " + img.width() + "x" + img.height() + " is not a multiple of " + p * m + " on both sides");
        int gh = img.height() / p, gw = img.width() / p;
        int rowSize = rowSize();
        float[] out = new float[gh * gw * rowSize];
        byte[] rgb = img.rgb();
        int width = img.width();
        int row = 0;
        for (int bh = 0; bh < gh / m; bh++) {
            for (int bw = 0; bw < gw / m; bw++) {
                for (int r = 0; r < m; r++) {
                    for (int c = 0; c < m; c++, row++) {
                        int y0 = (bh * m + r) * p, x0 = (bw * m + c) * p;
                        int base = row * rowSize;
                        for (int ch = 0; ch < 3; ch++) {
                            float[] lut = table[ch];
                            int frame0 = base + ch * tps * p * p;
                            for (int y = 0; y < p; y++) {
                                int src = ((y0 + y) * width + x0) * 3 + ch;
                                int dst = frame0 + y * p;
                                for (int x = 0; x < p; x++) out[dst + x] = lut[rgb[src + x * 3] & 0xff];
                            }
                            // A still image is repeated to fill the temporal patch: copy frame 0.
                            for (int t = 1; t < tps; t++) System.arraycopy(out, frame0, out, frame0 + t * p * p, p * p);
                        }
                    }
                }
            }
        }
        return new ProcessedImage(new ImageGrid(1, gh, gw), rowSize, out);
    }

    /**
     * Processes files on {@code threads} worker threads and hands results to {@code sink} in input order. At most
     * {@code 2 * threads} images are decoded but not yet handed over, which bounds the memory held besides what the
     * sink keeps. The first failure stops the run and is rethrown (naming the file).
     */
    public void processInOrder(List<Path> files, int threads, Consumer<ProcessedImage> sink) throws IOException {
        if (threads < 1) throw new IllegalArgumentException("threads must be >= 1 but is " + threads);
        if (threads == 1 || files.size() <= 1) {
            for (Path f : files) sink.accept(process(f));
            return;
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "lever-image");
            t.setDaemon(true);
            return t;
        });
        ArrayDeque<Future<ProcessedImage>> window = new ArrayDeque<>();
        int maxInFlight = 2 * threads;
        try {
            for (Path f : files) {
                if (window.size() >= maxInFlight) sink.accept(await(window.poll()));
                window.add(pool.submit(() -> process(f)));
            }
            while (!window.isEmpty()) sink.accept(await(window.poll()));
        } finally {
            for (Future<ProcessedImage> fu : window) fu.cancel(true);
            pool.shutdownNow();
        }
    }

    /** Processes all files (in parallel) into one batch, images in input order. */
    public PixelValues processAll(List<Path> files, int threads) throws IOException {
        List<ProcessedImage> out = new ArrayList<>(files.size());
        processInOrder(files, threads, out::add);
        return PixelValues.concat(out);
    }

    private static ProcessedImage await(Future<ProcessedImage> f) throws IOException {
        try {
            return f.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while preprocessing images", e);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof IOException io) throw io;
            if (c instanceof RuntimeException re) throw re;
            throw new IOException(c.getMessage(), c);
        }
    }
}
