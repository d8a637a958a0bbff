package org.leverplus.cli;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leverplus.data.Embeddings;
import org.leverplus.io.JsonSupport;
import org.leverplus.sampler.CandidatePools;

import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.*;

/** {@code lever sample} end to end: CPython-identical rand files, the similarity samplers, one-line errors. */
class SampleCliTest {
    @TempDir Path dir;

    static String sha256(Path p) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p)));
    }

    @Test void randWritesTheOriginalsCacheFilesForOkvqa() throws Exception {
        JsonNode okvqa;
        try (InputStream in = getClass().getResourceAsStream("/org/leverplus/sampler/cpython-random-goldens.json")) {
            okvqa = JsonSupport.mapper().readTree(in).get("cases").get(0);
        }
        assertEquals("okvqa", okvqa.get("name").asText());
        Path out = dir.resolve("rand");
        LeverCliTest.Run r = LeverCliTest.run("sample", "--sampler", "rand", "--train-size", "9009", "--anchors", "800", "--out", out.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(r.out().contains("RandSampler: 800 anchors x 64 candidates over 9009 training items (seed 42, 8 random draws redone"), r.out());
        assertEquals(okvqa.get("anchors_sha256").asText(), sha256(out.resolve("anchors.json")));
        assertEquals(okvqa.get("pools_sha256").asText(), sha256(out.resolve("pools.json")));
        LeverCliTest.Run again = LeverCliTest.run("sample", "--sampler", "rand", "--train-size", "9009", "--out", out.toString());
        assertEquals(LeverCli.EXIT_FAILURE, again.code());
        assertTrue(again.err().contains("--overwrite"), again.err());
    }

    @Test void similarityAndMixSamplersFromFeatureFiles() throws Exception {
        int n = 400, d = 16;
        Random rnd = new Random(1);
        float[] img = new float[n * d], txt = new float[n * d];
        for (int i = 0; i < img.length; i++) { img[i] = (float) rnd.nextGaussian(); txt[i] = (float) rnd.nextGaussian(); }
        Path fi = dir.resolve("img.safetensors"), ft = dir.resolve("txt.safetensors");
        Embeddings.of(n, d, img).writeSafetensors(fi, Map.of(), false);
        Embeddings.of(n, d, txt).writeSafetensors(ft, Map.of(), false);
        LeverCliTest.Run r = LeverCliTest.run("sample", "--sampler", "img", "--features", fi.toString(), "--anchors", "20", "--out", dir.resolve("img").toString());
        assertEquals(0, r.code(), r.err());
        CandidatePools p = CandidatePools.readPools(dir.resolve("img/pools.json"));
        assertEquals(20, p.anchors().length);
        assertEquals(64, p.pools()[0].length);
        // the anchors are the rand sampler's for the same train size and seed (one shared anchor set)
        assertEquals(0, LeverCliTest.run("sample", "--sampler", "rand", "--train-size", "400", "--anchors", "20", "--out", dir.resolve("rand").toString()).code());
        assertArrayEquals(CandidatePools.readAnchors(dir.resolve("rand/anchors.json")), p.anchors());
        r = LeverCliTest.run("sample", "--sampler", "mix", "--image-features", fi.toString(), "--text-features", ft.toString(), "--anchors", "20", "--out", dir.resolve("mix").toString());
        assertEquals(0, r.code(), r.err());
        for (int[] pool : CandidatePools.readPools(dir.resolve("mix/pools.json")).pools())
            assertEquals(64, java.util.Arrays.stream(pool).distinct().count());
    }

    @Test void badCommandLinesAreOneLineErrors() throws Exception {
        LeverCliTest.Run r = LeverCliTest.run("sample", "--sampler", "rand", "--out", dir.resolve("x").toString());
        assertEquals(LeverCli.EXIT_FAILURE, r.code());
        assertTrue(r.err().contains("--train-size"), r.err());
        r = LeverCliTest.run("sample", "--sampler", "bm25", "--train-size", "10", "--out", dir.resolve("x").toString());
        assertEquals(LeverCli.EXIT_USAGE, r.code());
        assertTrue(r.err().contains("rand, text, img or mix"), r.err());
        r = LeverCliTest.run("sample", "--sampler", "text", "--out", dir.resolve("x").toString());
        assertTrue(r.err().contains("--features"), r.err());
        assertFalse(Files.exists(dir.resolve("x")));
    }
}
