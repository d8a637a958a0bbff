package org.leverplus.sampler;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leverplus.cli.LeverCli;
import org.leverplus.data.Embeddings;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/** Samplers against CPython's random (goldens from tools/sampler_goldens.py) and a brute-force cosine ranking. */
class SamplersTest {
    static final Path GOLDENS = Path.of("src/test/resources/org/leverplus/sampler/rand-goldens.json");
    @TempDir Path dir;

    static String sha256(byte[] b) throws Exception {
        return java.util.HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }

    @Test
    void mersenneTwisterEqualsCPython() throws Exception {
        JsonNode g = new ObjectMapper().readTree(GOLDENS.toFile()).get("getrandbits");
        PyRandom r = new PyRandom(42);
        for (int i = 0; i < 5; i++) assertEquals(g.get(i).asLong(), r.getrandbits(32));
        for (int i = 5; i < 10; i++) assertEquals(g.get(i).asLong(), r.getrandbits(19));
        r.seed((1L << 40) + 5);   // a two-word key
        for (int i = 10; i < 13; i++) assertEquals(g.get(i).asLong(), r.getrandbits(32));
    }

    @Test
    void anchorsAndRandPoolsEqualCPythonBitForBit() throws Exception {
        for (JsonNode c : new ObjectMapper().readTree(GOLDENS.toFile()).get("cases")) {
            int n = c.get("train_size").asInt(), na = c.get("anchors").asInt(), k = c.get("candidates").asInt();
            long seed = c.get("seed").asLong();
            String name = c.get("name").asText();
            int[] a = Samplers.anchors(n, na, seed);
            for (int i = 0; i < c.get("anchors_head").size(); i++) assertEquals(c.get("anchors_head").get(i).asInt(), a[i], name);
            Map<Integer, int[]> pools = Samplers.rand(a, n, k, seed);
            Path out = dir.resolve(name);
            PoolFiles.write(out, a, pools, false);
            assertEquals(c.get("anchors_sha256").asText(), sha256(Files.readAllBytes(out.resolve(PoolFiles.ANCHORS))), name + " anchors.json");
            assertEquals(c.get("pools_sha256").asText(), sha256(Files.readAllBytes(out.resolve(PoolFiles.POOLS))), name + " pools.json");
            PoolFiles.Pools back = PoolFiles.readPools(out.resolve(PoolFiles.POOLS));
            assertEquals(na, back.pools().size());
            assertEquals(0, back.duplicatesDropped());
            assertArrayEquals(pools.get(a[0]), back.pools().get(a[0]));
        }
    }

    /** Normalised random features with a few exact duplicates (ties) and a row duplicating an anchor. */
    static Embeddings features(int n, int d, long seed) {
        Random r = new Random(seed);
        float[] v = new float[n * d];
        for (int i = 0; i < v.length; i++) v[i] = (float) r.nextGaussian();
        System.arraycopy(v, 3 * d, v, 10 * d, d);     // rows 3 and 10 identical
        System.arraycopy(v, 5 * d, v, 6 * d, d);      // rows 5 and 6 identical
        return Embeddings.of(n, d, v);
    }

    /** Brute force: cosine in double, most similar first, ties to the lower id. */
    static int[] bruteForce(Embeddings f, int anchor, int depth) {
        double[] q = new double[f.dim()];
        for (int j = 0; j < f.dim(); j++) q[j] = f.get(anchor, j);
        List<double[]> s = new ArrayList<>();
        for (int i = 0; i < f.rows(); i++) {
            double dot = 0, nq = 0, nr = 0;
            for (int j = 0; j < f.dim(); j++) {
                dot += q[j] * f.get(i, j);
                nq += q[j] * q[j];
                nr += (double) f.get(i, j) * f.get(i, j);
            }
            s.add(new double[]{dot / Math.sqrt(nq * nr), i});
        }
        s.sort(Comparator.<double[]>comparingDouble(x -> -x[0]).thenComparingDouble(x -> x[1]));
        return s.stream().limit(depth).mapToInt(x -> (int) x[1]).toArray();
    }

    @Test
    void similarityPoolsEqualABruteForceRanking() {
        Embeddings f = features(300, 24, 1);
        int[] anchors = {3, 10, 5, 0, 299, 150};
        Map<Integer, int[]> pools = Samplers.similar(anchors, f, 16, false);
        for (int a : anchors) {
            int[] want = Arrays.stream(bruteForce(f, a, 18)).filter(i -> i != a).limit(16).toArray();
            assertArrayEquals(want, pools.get(a), "anchor " + a);
        }
        // rows 3 and 10 tie: the original's "drop rank 0" drops row 3 for anchor 10 and keeps 10 itself
        Map<Integer, int[]> orig = Samplers.similar(anchors, f, 16, true);
        assertEquals(10, orig.get(10)[0], "drop-rank0 keeps the anchor when a duplicate outranks it");
        assertFalse(Arrays.stream(pools.get(10)).anyMatch(i -> i == 10), "by default the anchor is never its own candidate");
    }

    @Test
    void mixPoolsAreRandThenImageThenTextWithoutDuplicates() {
        Embeddings img = features(200, 16, 2), txt = features(200, 16, 2); // identical: every text id is already an image id
        int[] anchors = Samplers.anchors(200, 20, 42);
        Map<Integer, int[]> rand = Samplers.rand(anchors, 200, 32, 42);
        Map<Integer, int[]> mix = Samplers.mix(anchors, 200, 64, 42, img, txt, false, false);
        Map<Integer, int[]> orig = Samplers.mix(anchors, 200, 64, 42, img, txt, true, false);
        for (int a : anchors) {
            int[] m = mix.get(a);
            assertEquals(64, m.length);
            Set<Integer> distinct = new HashSet<>();
            for (int i : m) distinct.add(i);
            assertEquals(64, distinct.size(), "64 distinct ids");
            assertFalse(distinct.contains(a));
            assertArrayEquals(rand.get(a), Arrays.copyOf(m, 32), "the random half comes first, as RandSampler(32)");
            int[] o = orig.get(a);
            assertEquals(64, o.length);
            assertArrayEquals(Arrays.copyOfRange(o, 32, 48), Arrays.copyOfRange(o, 48, 64), "the original repeats the ids both parts rank");
        }
    }

    @Test
    void commandLineWritesBothFilesAndRefusesBadInput() throws Exception {
        Path out = dir.resolve("s");
        assertEquals(0, LeverCli.commandLine().execute("sample", "--train-size", "9009", "--out", out.toString()));
        JsonNode c = new ObjectMapper().readTree(GOLDENS.toFile()).get("cases").get(0);
        assertEquals(c.get("pools_sha256").asText(), sha256(Files.readAllBytes(out.resolve("pools.json"))), "defaults are the original's (800 x 64, seed 42)");
        assertEquals(1, LeverCli.commandLine().execute("sample", "--train-size", "9009", "--out", out.toString()), "refuses to overwrite");
        assertEquals(1, LeverCli.commandLine().execute("sample", "--sampler", "text", "--train-size", "100", "--out", dir.resolve("t").toString()));
        assertEquals(1, LeverCli.commandLine().execute("sample", "--train-size", "100", "--anchors", "101", "--out", dir.resolve("u").toString()));
        assertFalse(Files.exists(dir.resolve("u/pools.json")));
        Path bad = dir.resolve("bad.json");
        Files.writeString(bad, "{\"00\": [1, 2]}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PoolFiles.readPools(bad));
        assertTrue(e.getMessage().contains("\"00\" is not an anchor id"), e.getMessage());
        Files.writeString(bad, "{\"0\": [1, 2], \"0\": [3]}");
        assertThrows(IllegalArgumentException.class, () -> PoolFiles.readPools(bad));
        Files.writeString(bad, "{\"7\": [1, 2, 1, 3]}", StandardCharsets.UTF_8);
        PoolFiles.Pools p = PoolFiles.readPools(bad);
        assertArrayEquals(new int[]{1, 2, 3}, p.pools().get(7));
        assertEquals(1, p.duplicatesDropped());
    }
}
