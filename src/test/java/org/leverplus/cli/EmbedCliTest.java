package org.leverplus.cli;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leverplus.clip.ClipImageProcessor;
import org.leverplus.clip.ClipModel;
import org.leverplus.clip.ClipSnapshot;
import org.leverplus.clip.ClipTokenizer;
import org.leverplus.data.Embeddings;
import org.leverplus.vlm.model.ModelOptions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

import static org.junit.jupiter.api.Assertions.*;

/** {@code lever embed} end to end on a tiny snapshot: values, order, resume, bad input, the official file layout. */
class EmbedCliTest {
    static final Path IMAGES = Path.of("src/test/resources/org/leverplus/vlm/image").toAbsolutePath();
    static final String[] FILES = {"rgb-84x56.png", "rgb-70x50.png", "cmyk-56x56.jpg", "bilevel-56x56.png", "exif6-84x56.jpg"};
    @TempDir static Path shared;
    static Path snap;

    @BeforeAll static void snapshot() {
        snap = shared.resolve("clip");
        LeverCliTest.Run r = LeverCliTest.run("clip", "make-tiny", "--out", snap.toString(), "--geometry", "b32");
        assertEquals(0, r.code(), r.err());
    }

    /** 10 items with ids in reverse file order, so the global order differs from the file order. */
    static Path items(Path dir) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 10; i++)
            sb.append("{\"id\": ").append(500 - i).append(", \"image\": \"").append(IMAGES.resolve(FILES[i % FILES.length]))
                    .append("\", \"question\": \"What is shown in picture ").append(i).append("?\"}\n");
        Path p = dir.resolve("items.jsonl");
        Files.writeString(p, sb.toString());
        return p;
    }

    @Test void selectorRowsAreTheModelsInGlobalIdOrder(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("sel.safetensors");
        LeverCliTest.Run r = LeverCliTest.run("embed", "--snapshot", snap.toString(), "--items", items(dir).toString(), "--out", out.toString(), "--batch-size", "3");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("embedded 10 items -> [10, 16]"), r.out());
        Embeddings e = Embeddings.readSafetensors(out);
        ClipSnapshot s = ClipSnapshot.open(snap);
        ClipImageProcessor proc = new ClipImageProcessor(ClipImageProcessor.Config.read(snap.resolve(ClipImageProcessor.FILE)));
        try (ClipModel m = ClipModel.load(s, ModelOptions.defaults()); ClipTokenizer tok = ClipTokenizer.load(snap.resolve("tokenizer.json"), 77)) {
            // global id 0 = the smallest id (491) = the file's last line (i = 9)
            for (int gid : new int[]{0, 4, 9}) {
                int i = 9 - gid;
                float[] px = new float[proc.size()];
                proc.process(IMAGES.resolve(FILES[i % FILES.length]), px, 0);
                float[] want = ClipModel.selectorEmbedding(m.encodeImages(px, 1).embeds()[0],
                        m.encodeText(new int[][]{tok.encode("What is shown in picture " + i + "?")}).embeds()[0]);
                float[] got = e.row(gid);
                for (int j = 0; j < want.length; j++) assertEquals(want[j], got[j], 1e-5, "row " + gid);
            }
        }
    }

    @Test void anInterruptedRunResumesAndEndsByteIdentical(@TempDir Path dir) throws Exception {
        Path items = items(dir);
        Path whole = dir.resolve("whole.safetensors");
        assertEquals(0, LeverCliTest.run("embed", "--snapshot", snap.toString(), "--items", items.toString(), "--out", whole.toString(), "--chunk-rows", "4", "--kind", "image").code());
        // the same items, but the image of global id 9 (the file's first line) is missing: chunks 0 and 1 finish, chunk 2 fails
        Path img = dir.resolve("late.png");
        // (only the first line's image moves: the line with i = 0)
        String text = Files.readString(items);
        String first = text.substring(0, text.indexOf('\n'));
        Files.writeString(items, first.replace(IMAGES.resolve(FILES[0]).toString(), img.toString()) + text.substring(text.indexOf('\n')));
        Path out = dir.resolve("resumed.safetensors");
        LeverCliTest.Run r = LeverCliTest.run("embed", "--snapshot", snap.toString(), "--items", items.toString(), "--out", out.toString(), "--chunk-rows", "4", "--kind", "image");
        assertEquals(LeverCli.EXIT_FAILURE, r.code());
        assertTrue(r.err().contains("item 9 (id 500, image " + img + ")"), r.err());
        assertFalse(Files.exists(out), "nothing half-written");
        Files.copy(IMAGES.resolve(FILES[0]), img);
        r = LeverCliTest.run("embed", "--snapshot", snap.toString(), "--items", items.toString(), "--out", out.toString(), "--chunk-rows", "4", "--kind", "image");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("2 chunks reused"), r.out());
        assertArrayEquals(Files.readAllBytes(whole), Files.readAllBytes(out));
        assertFalse(Files.exists(dir.resolve(".resumed.safetensors.parts")), "work files removed");
    }

    @Test void badImagesAreNamedOrSkippedAndCounted(@TempDir Path dir) throws Exception {
        Path items = items(dir);
        Path broken = dir.resolve("broken.jpg");
        Files.write(broken, new byte[]{(byte) 0xFF, (byte) 0xD8, (byte) 0xFF, 0, 1, 2, 3});
        Files.writeString(items, Files.readString(items) + "{\"id\": 7, \"image\": \"broken.jpg\", \"question\": \"q\"}\n");
        Path out = dir.resolve("e.safetensors");
        LeverCliTest.Run r = LeverCliTest.run("embed", "--snapshot", snap.toString(), "--items", items.toString(), "--out", out.toString());
        assertEquals(LeverCli.EXIT_FAILURE, r.code());
        assertTrue(r.err().contains("item 0 (id 7, image " + broken + ")") && r.err().contains("--skip-bad"), r.err());
        assertEquals(1, r.err().strip().lines().filter(l -> l.startsWith("lever:")).count(), r.err());
        assertFalse(Files.exists(out));
        r = LeverCliTest.run("embed", "--snapshot", snap.toString(), "--items", items.toString(), "--out", out.toString(), "--skip-bad");
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("1 bad items skipped as zero rows: ids [0]"), r.out());
        Embeddings e = Embeddings.readSafetensors(out);
        assertEquals("[0]", e.metadata().get("skipped_ids"));
        for (float v : e.row(0)) assertEquals(0f, v);
        // a malformed items line names the file and line
        Files.writeString(items, "{\"id\": \"x\", \"image\": \"a.png\", \"question\": \"q\"}\n");
        r = LeverCliTest.run("embed", "--snapshot", snap.toString(), "--items", items.toString(), "--out", dir.resolve("f.safetensors").toString());
        assertTrue(r.err().contains("items.jsonl: line 1: \"id\": expected an integer"), r.err());
    }

    @Test void officialFilesWithTheCocoFolder(@TempDir Path dir) throws Exception {
        Path coco = Files.createDirectories(dir.resolve("coco"));
        StringBuilder qs = new StringBuilder("{\"questions\": ["), as = new StringBuilder("{\"annotations\": [");
        for (int i = 0; i < 3; i++) {
            long qid = 30 - 10 * i, imageId = 100 + i;
            Files.copy(IMAGES.resolve(FILES[i]), coco.resolve(String.format("COCO_train2014_%012d.jpg", imageId)), StandardCopyOption.REPLACE_EXISTING);
            qs.append(i > 0 ? "," : "").append("{\"question_id\": ").append(qid).append(", \"image_id\": ").append(imageId).append(", \"question\": \"q").append(i).append("\"}");
            as.append(i > 0 ? "," : "").append("{\"question_id\": ").append(qid).append(", \"image_id\": ").append(imageId)
                    .append(", \"answers\": [{\"answer\": \"yes\", \"answer_confidence\": \"yes\", \"answer_id\": 1}]}");
        }
        Files.writeString(dir.resolve("OpenEnded_mscoco_train2014_questions.json"), qs + "]}");
        Files.writeString(dir.resolve("mscoco_train2014_annotations.json"), as + "]}");
        Path out = dir.resolve("txt.safetensors");
        LeverCliTest.Run r = LeverCliTest.run("embed", "--snapshot", snap.toString(), "--dataset", "okvqa", "--data-dir", dir.toString(),
                "--images", coco.toString(), "--kind", "text", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertEquals(3, Embeddings.readSafetensors(out).rows());
        r = LeverCliTest.run("embed", "--snapshot", snap.toString(), "--dataset", "okvqa", "--data-dir", dir.toString(), "--out", dir.resolve("x").toString());
        assertTrue(r.err().contains("--images"), r.err());
    }
}
