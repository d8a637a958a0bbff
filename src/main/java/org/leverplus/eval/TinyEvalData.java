package org.leverplus.eval;

import com.fasterxml.jackson.core.JsonGenerator;
import org.leverplus.data.Embeddings;
import org.leverplus.data.VqaDataset;
import org.leverplus.io.JsonSupport;

import javax.imageio.ImageIO;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.SplittableRandom;

/**
 * A tiny OK-VQA-shaped dataset for trying and testing {@code lever eval} without downloads: the official question and
 * annotation files of both splits, small JPEG images named as COCO's (several questions per image, as in COCO), and
 * random feature files for every method (selector embeddings and CLIP image/text features, [N, dim] float32, rows in
 * global-id order). Seeded: the same arguments give the same files.
 */
public final class TinyEvalData {
    static final String[] WORDS = {"dog", "cat", "bus", "pizza", "tree", "car", "plate", "kite", "boat", "horse"};
    static final String[] COLORS = {"red", "blue", "green", "white", "black"};

    private TinyEvalData() {}

    /** Writes the dataset under {@code dir}: {@code data/}, {@code images/train}, {@code images/val}, {@code features/}. */
    public static void write(Path dir, int nTrain, int nVal, int dim, long seed) throws IOException {
        if (nTrain < 4 || nVal < 1 || dim < 1) throw new IllegalArgumentException("tiny eval data: need >= 4 training items, >= 1 question, dim >= 1");
        SplittableRandom r = new SplittableRandom(seed);
        Path data = dir.resolve("data");
        Files.createDirectories(data);
        split(r, dir, "train", nTrain, 1_000_000L);
        split(r, dir, "val", nVal, 2_000_000L);
        Path f = dir.resolve("features");
        Files.createDirectories(f);
        for (String name : new String[]{"selector-train", "clip-image-train", "clip-text-train"}) features(r, f.resolve(name + ".safetensors"), nTrain, dim);
        for (String name : new String[]{"selector-val", "clip-image-val", "clip-text-val"}) features(r, f.resolve(name + ".safetensors"), nVal, dim);
    }

    private static void split(SplittableRandom r, Path dir, String split, int n, long firstQid) throws IOException {
        int images = Math.max(1, (n + 1) / 2);
        Path imgDir = dir.resolve("images/" + split);
        Files.createDirectories(imgDir);
        long[] imageIds = new long[images];
        for (int i = 0; i < images; i++) {
            imageIds[i] = 100 + i * 7L + (split.equals("val") ? 5000 : 0);
            int w = 40 + r.nextInt(40), h = 40 + r.nextInt(40);
            BufferedImage im = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
            int base = r.nextInt(0xffffff);
            for (int y = 0; y < h; y++)
                for (int x = 0; x < w; x++) im.setRGB(x, y, (base + x * 0x030201 + y * 0x010203) & 0xffffff);
            String name = String.format(java.util.Locale.ROOT, "COCO_%s2014_%012d.jpg", split, imageIds[i]);
            if (!ImageIO.write(im, "jpg", imgDir.resolve(name).toFile())) throw new IOException("no JPEG writer in this JVM");
        }
        VqaDataset.Kind kind = VqaDataset.Kind.OKVQA;
        try (OutputStream qo = Files.newOutputStream(dir.resolve("data").resolve(kind.questionsFile(split)));
             OutputStream ao = Files.newOutputStream(dir.resolve("data").resolve(kind.annotationsFile(split)));
             JsonGenerator q = JsonSupport.compactGenerator(qo); JsonGenerator a = JsonSupport.compactGenerator(ao)) {
            q.writeStartObject();
            q.writeArrayFieldStart("questions");
            a.writeStartObject();
            a.writeArrayFieldStart("annotations");
            for (int i = n - 1; i >= 0; i--) {   // written out of question_id order on purpose: the loader sorts
                long qid = firstQid + 10L * i;
                long image = imageIds[i % images];
                boolean color = r.nextBoolean();
                String question = color ? "What color is the " + WORDS[r.nextInt(WORDS.length)] + "?" : "How many " + WORDS[r.nextInt(WORDS.length)] + "s are there?";
                q.writeStartObject();
                q.writeNumberField("image_id", image);
                q.writeStringField("question", question);
                q.writeNumberField("question_id", qid);
                q.writeEndObject();
                a.writeStartObject();
                a.writeNumberField("image_id", image);
                a.writeNumberField("question_id", qid);
                a.writeStringField("question_type", color ? "what color is the" : "how many");
                a.writeStringField("answer_type", color ? "other" : "number");
                a.writeArrayFieldStart("answers");
                String main = color ? COLORS[r.nextInt(COLORS.length)] : Integer.toString(1 + r.nextInt(4));
                for (int k = 0; k < 10; k++) {
                    a.writeStartObject();
                    a.writeNumberField("answer_id", k + 1);
                    a.writeStringField("answer", k < 6 ? main : color ? COLORS[r.nextInt(COLORS.length)] : Integer.toString(1 + r.nextInt(4)));
                    a.writeStringField("answer_confidence", "yes");
                    a.writeEndObject();
                }
                a.writeEndArray();
                a.writeEndObject();
            }
            q.writeEndArray();
            q.writeEndObject();
            a.writeEndArray();
            a.writeEndObject();
        }
    }

    private static void features(SplittableRandom r, Path out, int rows, int dim) throws IOException {
        float[] v = new float[rows * dim];
        for (int i = 0; i < v.length; i++) v[i] = (float) (r.nextDouble() * 2 - 1);
        Embeddings.of(rows, dim, v).writeSafetensors(out, Map.of("source", "lever eval make-tiny-data (random)"), true);
    }
}
