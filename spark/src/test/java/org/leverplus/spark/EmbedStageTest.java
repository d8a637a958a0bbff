package org.leverplus.spark;

import org.apache.spark.api.java.JavaSparkContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leverplus.data.Embeddings;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * Distributed {@code lever embed} in local[2,4] on a tiny CLIP snapshot ({@code lever clip make-tiny}): the
 * safetensors file equals the one-machine command's byte for byte (with a bad image skipped as a zero row), a task
 * failing once is retried without duplicating rows, and a failed run rerun computes only the missing chunks.
 */
class EmbedStageTest {
    static final Path IMAGES = Path.of("../src/test/resources/org/leverplus/vlm/image").toAbsolutePath().normalize();
    static final String[] FILES = {"rgb-84x56.png", "rgb-70x50.png", "cmyk-56x56.jpg", "bilevel-56x56.png", "exif6-84x56.jpg"};
    static JavaSparkContext sc;
    @TempDir static Path shared;
    static Path snap;
    @TempDir Path dir;

    @BeforeAll
    static void start() {
        snap = shared.resolve("clip");
        StageTestSupport.lever(List.of("clip", "make-tiny", "--out", snap.toString(), "--geometry", "b32"));
        sc = StageTestSupport.context("lever-embed-test");
    }

    @AfterAll
    static void stop() {
        if (sc != null) sc.stop();
    }

    /** 10 items, ids in reverse file order (global order differs from file order); {@code missing}: a file-line index whose image is absent, or -1. */
    Path items(int missing) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 10; i++) {
            Path img = i == missing ? dir.resolve("absent.png") : IMAGES.resolve(FILES[i % FILES.length]);
            sb.append("{\"id\": ").append(500 - i).append(", \"image\": \"").append(img)
                    .append("\", \"question\": \"What is shown in picture ").append(i).append("?\"}\n");
        }
        Path p = dir.resolve("items.jsonl");
        Files.writeString(p, sb.toString());
        return p;
    }

    List<String> args(Path items, Path out, String... more) {
        return StageTestSupport.concat(List.of("embed", "--snapshot", snap.toString(), "--items", items.toString(),
                "--out", out.toString(), "--chunk-rows", "3", "--batch-size", "2", "--decode-threads", "2"), more);
    }

    @Test
    void distributedEmbeddingsEqualTheOneMachineFileAndARetriedTaskAddsNoRows() throws Exception {
        Path items = items(4), one = dir.resolve("one.safetensors"), out = dir.resolve("spark.safetensors");
        StageTestSupport.lever(args(items, one, "--skip-bad"));
        String marker = dir.resolve("failed-once").toString();
        DistributedRun.Summary s = LeverSpark.run(sc, args(items, out, "--skip-bad").toArray(String[]::new),
                r -> new DistributedRunTest.FailOnce(r, 1, marker), null);
        assertTrue(Files.exists(Path.of(marker)), "the planted failure happened");
        assertEquals(4, s.chunks());
        assertEquals(10, s.records(), "every row committed exactly once");
        assertEquals(1, s.modelLoads(), "one executor JVM: the model is loaded once");
        assertArrayEquals(Files.readAllBytes(one), Files.readAllBytes(out));
        assertEquals("[5]", Embeddings.readSafetensors(out).metadata().get("skipped_ids"), "global id 5 = file line 4");
        assertFalse(Files.exists(dir.resolve("spark.safetensors.parts")), "chunk files removed");
        Exception again = assertThrows(java.nio.file.FileAlreadyExistsException.class,
                () -> LeverSpark.run(sc, args(items, out).toArray(String[]::new), null));
        assertTrue(again.getMessage().contains("--overwrite"), again.getMessage());
    }

    @Test
    void aBadItemIsNamedByItsGlobalId() {
        assertEquals("item 7 (id 493, image /x.png): unreadable", EmbedStage.globalItem("item 1 (id 493, image /x.png): unreadable", 6));
        assertEquals("something else", EmbedStage.globalItem("something else", 6));
    }

    @Test
    void aFailedRunRerunComputesOnlyTheMissingChunks() throws Exception {
        Path items = items(-1), one = dir.resolve("one.safetensors"), out = dir.resolve("spark.safetensors");
        String[] argv = args(items, out, "--kind", "image").toArray(String[]::new);
        assertThrows(Exception.class, () -> LeverSpark.run(sc, argv, r -> new StageTestSupport.FailLast(r, 2, 4, ChunkStore.beside(out)), null));
        assertFalse(Files.exists(out), "no output from a failed run");
        int before = StageTestSupport.committed(ChunkStore.beside(out), 4);
        assertEquals(3, before, "the other chunks stay committed");
        Path rec = Files.createDirectories(dir.resolve("computed"));
        DistributedRun.Summary s = LeverSpark.run(sc, argv, r -> new DistributedRunTest.Recording(r, rec.toString()), null);
        assertEquals(before, s.resumed());
        assertEquals(4 - before, StageTestSupport.computed(rec), "only the missing chunks are computed");
        StageTestSupport.lever(args(items, one, "--kind", "image"));
        assertArrayEquals(Files.readAllBytes(one), Files.readAllBytes(out));
    }
}
