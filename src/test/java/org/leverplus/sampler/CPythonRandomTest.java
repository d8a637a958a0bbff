package org.leverplus.sampler;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leverplus.io.JsonSupport;

import java.io.InputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;

import static org.junit.jupiter.api.Assertions.*;

/** CPython goldens made by tools/cpython_random_goldens.py with Debian's python3 (its own {@code random} module). */
class CPythonRandomTest {
    static JsonNode goldens() throws Exception {
        try (InputStream in = CPythonRandomTest.class.getResourceAsStream("cpython-random-goldens.json")) {
            return JsonSupport.mapper().readTree(in);
        }
    }

    static int[] ints(JsonNode n) {
        int[] v = new int[n.size()];
        for (int i = 0; i < v.length; i++) v[i] = n.get(i).intValue();
        return v;
    }

    static String sha256(byte[] b) throws Exception {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    @Test void wordsAndRandbelowMatchCPythonForEverySeedShape() throws Exception {
        for (JsonNode c : goldens().get("words")) {
            BigInteger seed = c.get("seed").bigIntegerValue();
            CPythonRandom r = new CPythonRandom(0);
            r.seed(seed);
            int[] ks = {32, 32, 32, 32, 1, 5, 17, 31};
            for (int i = 0; i < ks.length; i++)
                assertEquals(c.get("getrandbits").get(i).longValue(), r.getrandbits(ks[i]), "seed " + seed + " draw " + i);
            r.seed(seed);
            int[] ns = {1, 2, 3, 7, 1000, 9009, 443757, Integer.MAX_VALUE};
            for (int i = 0; i < ns.length; i++)
                assertEquals(c.get("randbelow").get(i).intValue(), r.randbelow(ns[i]), "seed " + seed + " randbelow(" + ns[i] + ")");
        }
    }

    @Test void sampleUsesCPythonsAlgorithmChoice() throws Exception {
        assertEquals(277, CPythonRandom.setSize(64));   // 21 + 4^4: n = 277 takes the pool list, 278 the set
        assertEquals(21, CPythonRandom.setSize(5));
        for (JsonNode c : goldens().get("samples")) {
            CPythonRandom r = new CPythonRandom(c.get("seed").longValue());
            assertArrayEquals(ints(c.get("sample")), r.sample(c.get("n").intValue(), c.get("k").intValue()), c.toString());
        }
    }

    @Test void randSamplerFilesAreByteIdenticalToCPythonForOkvqaAndVqav2Sizes(@TempDir Path dir) throws Exception {
        for (JsonNode c : goldens().get("cases")) {
            String name = c.get("name").asText();
            int n = c.get("train_len").intValue(), k = c.get("candidates").intValue();
            long seed = c.get("seed").longValue();
            int[] anchors = RandSampler.anchors(n, c.get("anchors").intValue(), seed);
            RandSampler.Result r = RandSampler.pools(anchors, n, k, seed);
            CandidatePools pools = new CandidatePools(anchors, r.pools());
            Path out = dir.resolve(name);
            pools.write(out, false);
            assertEquals(c.get("anchors_sha256").asText(), sha256(Files.readAllBytes(out.resolve("anchors.json"))), name + " anchors");
            assertEquals(c.get("pools_sha256").asText(), sha256(Files.readAllBytes(out.resolve("pools.json"))), name + " pools");
            assertEquals(c.get("redraws").longValue(), r.redraws(), name + " redraws");
            assertArrayEquals(ints(c.get("first_pool")), r.pools()[0], name);
            assertArrayEquals(ints(c.get("last_pool")), r.pools()[anchors.length - 1], name);
            CandidatePools back = CandidatePools.readPools(out.resolve("pools.json"));
            assertArrayEquals(anchors, back.anchors());
            assertArrayEquals(anchors, CandidatePools.readAnchors(out.resolve("anchors.json")));
            for (int i = 0; i < anchors.length; i++) assertFalse(RandSampler.contains(r.pools()[i], anchors[i]));
        }
    }

    @Test void badSizesAreClearErrors() {
        assertThrows(IllegalArgumentException.class, () -> RandSampler.anchors(10, 11, 42));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RandSampler.pools(new int[]{0}, 64, 64, 42));
        assertTrue(e.getMessage().contains("64"), e.getMessage());
    }
}
