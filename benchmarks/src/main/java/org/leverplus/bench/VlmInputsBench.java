package org.leverplus.bench;

import org.leverplus.vlm.PreprocessorConfig;
import org.leverplus.vlm.image.ImageDecoder;
import org.leverplus.vlm.image.PilBicubic;
import org.leverplus.vlm.image.QwenImageProcessor;
import org.leverplus.vlm.image.RgbImage;
import org.leverplus.vlm.image.SmartResize;
import org.leverplus.vlm.text.IcdPromptBuilder;
import org.leverplus.vlm.text.QwenTokenizer;

import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import java.awt.image.BufferedImage;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

/**
 * Throughput of the VLM input side: COCO-sized JPEGs (640x480, quality 90, synthetic photo-like content, 4:2:0)
 * to pixel_values on 1 and 2 threads, with a per-stage breakdown, and tokenizer throughput on VQA-style prompt
 * texts. Prints medians of several timed runs after warm-up.
 * Usage: -Dbench.main=org.leverplus.bench.VlmInputsBench -Djmh.args="TOKENIZER.json [images=64] [runs=5]"
 */
public final class VlmInputsBench {
    public static void main(String[] args) throws Exception {
        Path tokenizerJson = Path.of(args[0]);
        int n = args.length > 1 ? Integer.parseInt(args[1]) : 64;
        int runs = args.length > 2 ? Integer.parseInt(args[2]) : 5;
        Path dir = Files.createTempDirectory("lever-bench-jpeg");
        List<Path> files = new ArrayList<>();
        Random rnd = new Random(5);
        for (int i = 0; i < n; i++) files.add(writeJpeg(dir.resolve("img" + i + ".jpg"), 640, 480, rnd));
        System.out.printf("images: %d synthetic 640x480 JPEGs, %.0f KB each on average%n", n,
                files.stream().mapToLong(f -> f.toFile().length()).average().orElse(0) / 1024);

        QwenImageProcessor proc = new QwenImageProcessor(PreprocessorConfig.defaults());
        // Stage breakdown, one thread.
        double[] dec = new double[runs], res = new double[runs], flat = new double[runs];
        for (int r = -2; r < runs; r++) {
            long t0 = System.nanoTime();
            List<RgbImage> decoded = new ArrayList<>();
            for (Path f : files) decoded.add(ImageDecoder.decode(f));
            long t1 = System.nanoTime();
            List<RgbImage> resized = new ArrayList<>();
            for (RgbImage img : decoded) {
                SmartResize.Size s = proc.targetSize(img.width(), img.height());
                resized.add(PilBicubic.resize(img, s.width(), s.height()));
            }
            long t2 = System.nanoTime();
            for (RgbImage img : resized) proc.flatten(img);
            long t3 = System.nanoTime();
            if (r >= 0) {
                dec[r] = (t1 - t0) / 1e6 / n;
                res[r] = (t2 - t1) / 1e6 / n;
                flat[r] = (t3 - t2) / 1e6 / n;
            }
        }
        System.out.printf("per image, 1 thread (median ms): decode %.2f, smart_resize+bicubic %.2f, normalise+flatten %.2f%n",
                median(dec), median(res), median(flat));
        for (int threads : new int[]{1, 2}) {
            double[] ips = new double[runs];
            for (int r = -2; r < runs; r++) {
                long t0 = System.nanoTime();
                proc.processAll(files, threads);
                double s = (System.nanoTime() - t0) / 1e9;
                if (r >= 0) ips[r] = n / s;
            }
            System.out.printf("processAll, %d thread(s): median %.1f images/s (runs %s)%n", threads, median(ips), fmt(ips));
        }

        try (QwenTokenizer tok = QwenTokenizer.load(tokenizerJson)) {
            String[] qs = {"What is on the plate?", "How many giraffes are there?", "What sport is being played?",
                    "Is the man wearing a hat?", "What color is the bus?", "Which room is this?", "What is the dog doing?"};
            String[] as = {"pizza", "2", "tennis", "yes", "red", "kitchen", "sleeping"};
            List<String> texts = new ArrayList<>();
            long chars = 0;
            for (int i = 0; i < 2000; i++) {
                String t = (i % 10 == 0 ? IcdPromptBuilder.LEVER_PLUS_SYSTEM_PROMPT + " " : "") + IcdPromptBuilder.icdText(qs[i % qs.length], as[(i * 3) % as.length]);
                texts.add(t);
                chars += t.length();
            }
            int tokens = 0;
            for (String t : texts) tokens += tok.encode(t).length;
            double[] single = new double[runs], batch = new double[runs];
            for (int r = -2; r < runs; r++) {
                long t0 = System.nanoTime();
                for (String t : texts) tok.encode(t);
                long t1 = System.nanoTime();
                tok.encodeBatch(texts);
                long t2 = System.nanoTime();
                if (r >= 0) {
                    single[r] = tokens / ((t1 - t0) / 1e9);
                    batch[r] = tokens / ((t2 - t1) / 1e9);
                }
            }
            System.out.printf("tokenizer: %d texts, %d chars, %d tokens; encode one by one median %.0f tokens/s (%.1f us/text); encodeBatch median %.0f tokens/s%n",
                    texts.size(), chars, tokens, median(single), 1e6 * tokens / median(single) / texts.size(), median(batch));
        }
    }

    static Path writeJpeg(Path file, int w, int h, Random rnd) throws Exception {
        BufferedImage img = new BufferedImage(w, h, BufferedImage.TYPE_3BYTE_BGR);
        double fx = 2 + rnd.nextDouble() * 6, fy = 2 + rnd.nextDouble() * 6, cx = rnd.nextDouble() * w, cy = rnd.nextDouble() * h;
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) {
                int r = clamp(128 + 100 * Math.sin(x / fx) * Math.cos(y / fy) + rnd.nextGaussian() * 8);
                int g = clamp(255.0 * x / w + rnd.nextGaussian() * 8);
                int b = ((x / 16 + y / 16) % 2 == 0) ? 40 : 200;
                if ((x - cx) * (x - cx) + (y - cy) * (y - cy) < 90 * 90) { r = 240; g = 40; b = clamp(60 + rnd.nextGaussian() * 8); }
                img.setRGB(x, y, (r << 16) | (g << 8) | b);
            }
        ImageWriter wr = ImageIO.getImageWritersByFormatName("jpeg").next();
        ImageWriteParam p = wr.getDefaultWriteParam();
        p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
        p.setCompressionQuality(0.9f);
        try (ImageOutputStream out = ImageIO.createImageOutputStream(file.toFile())) {
            wr.setOutput(out);
            wr.write(null, new IIOImage(img, null, null), p);
        } finally {
            wr.dispose();
        }
        return file;
    }

    static int clamp(double v) { return (int) Math.max(0, Math.min(255, Math.round(v))); }

    static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    static String fmt(double[] v) {
        StringBuilder sb = new StringBuilder();
        for (double d : v) sb.append(sb.length() == 0 ? "" : ", ").append(String.format("%.1f", d));
        return sb.toString();
    }
}
