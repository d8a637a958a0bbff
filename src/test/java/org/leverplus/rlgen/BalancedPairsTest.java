package org.leverplus.rlgen;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.leverplus.data.Embeddings;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The balanced generation's candidate pairs equal, id for id, those of a plain-Python re-implementation of
 * generate_balanced_rl_data.py with random.seed / random.sample / random.shuffle (tools/balanced_pairs_goldens.py,
 * run with /usr/bin/python3), including exact similarity ties, re-seeding, small and one-item intervals and the
 * set-based random.sample branch; skipping queries (resume) keeps the stream in step; the keep rule's band edges.
 */
class BalancedPairsTest {
    static final Path GOLDENS = Path.of("src/test/resources/rlgen/balanced-pairs-goldens.json");

    /** The goldens' embedding formula (float32 of the same integer expression the Python script uses). */
    static Embeddings embeddings(int n, int dim, int repeatMod) {
        float[] v = new float[n * dim];
        for (int i = 0; i < n; i++) {
            int r = i % repeatMod;
            for (int k = 0; k < dim; k++) v[i * dim + k] = (float) (((r * 7919L + k * 104729L + 13) % 1009) / 1009.0 - 0.5);
        }
        return Embeddings.of(n, dim, v);
    }

    static List<int[]> expected(JsonNode pairs) {
        List<int[]> out = new ArrayList<>();
        for (JsonNode p : pairs) out.add(new int[]{p.get(0).asInt(), p.get(1).asInt()});
        return out;
    }

    static String str(List<int[]> pairs) {
        StringBuilder b = new StringBuilder();
        for (int[] p : pairs) b.append(p[0]).append(',').append(p[1]).append(' ');
        return b.toString();
    }

    @Test void pairsEqualPythonForEveryCase() throws Exception {
        JsonNode root = new ObjectMapper().readTree(GOLDENS.toFile());
        int checked = 0, nonEmpty = 0;
        for (JsonNode c : root.get("cases")) {
            int n = c.get("n").asInt();
            Embeddings e = embeddings(n, c.get("dim").asInt(), c.get("repeat_mod").asInt());
            BalancedPairs.Settings s = new BalancedPairs.Settings(c.get("intervals").asInt(), c.get("per_interval").asInt(),
                    c.get("max_pairs").asInt(), c.get("seed").asLong(), c.get("reseed_every").asInt());
            BalancedPairs bp = new BalancedPairs(s, n);
            for (int q = c.get("start").asInt(); q < c.get("end").asInt(); q++) {
                List<int[]> got = bp.next(BalancedPairs.ranked(BalancedPairs.similarities(e, q)));
                List<int[]> want = expected(c.get("pairs").get(Integer.toString(q)));
                assertEquals(str(want), str(got), c.get("name").asText() + " query " + q);
                checked++;
                if (!want.isEmpty()) nonEmpty++;
            }
        }
        assertTrue(checked >= 100 && nonEmpty >= 90, checked + " / " + nonEmpty);
    }

    @Test void skippingQueriesKeepsTheStreamInStep() throws Exception {
        JsonNode root = new ObjectMapper().readTree(GOLDENS.toFile());
        for (JsonNode c : root.get("cases")) {
            int n = c.get("n").asInt();
            Embeddings e = embeddings(n, c.get("dim").asInt(), c.get("repeat_mod").asInt());
            BalancedPairs.Settings s = new BalancedPairs.Settings(c.get("intervals").asInt(), c.get("per_interval").asInt(),
                    c.get("max_pairs").asInt(), c.get("seed").asLong(), c.get("reseed_every").asInt());
            BalancedPairs bp = new BalancedPairs(s, n);
            int start = c.get("start").asInt(), end = c.get("end").asInt();
            for (int q = start; q < end; q++) {
                if ((q - start) % 3 != 2) { bp.skip(); continue; }         // as a resume skips finished queries
                List<int[]> got = bp.next(BalancedPairs.ranked(BalancedPairs.similarities(e, q)));
                assertEquals(str(expected(c.get("pairs").get(Integer.toString(q)))), str(got), c.get("name").asText() + " query " + q);
            }
        }
    }

    @Test void tiesGoToTheLowerIdAndTheQueryIsLast() {
        double[] sim = {0.5, 0.9, 0.5, -1.0, 0.9, 0.1};
        assertArrayEquals(new int[]{1, 4, 0, 2, 5, 3}, BalancedPairs.ranked(sim));
        Embeddings e = embeddings(6, 3, 2);                            // rows repeat: 0=2=4, 1=3=5
        double[] s = BalancedPairs.similarities(e, 2);
        assertEquals(-1.0, s[2]);
        assertEquals(s[0], s[4]);
        int[] r = BalancedPairs.ranked(s);
        assertEquals(0, r[0]);
        assertEquals(4, r[1]);
        assertEquals(2, r[5]);
    }

    @Test void keepRuleBandEdges() {
        // n = 20 with the VQAv2 band 0.40 .. 0.60: 8 and 12 positives kept, 7 and 13 dropped
        for (int pos = 0; pos <= 20; pos++) {
            String why = BalancedPairs.dropReason(pos, 20, 0.40, 0.60);
            if (pos >= 8 && pos <= 12) assertNull(why, "pos " + pos);
            else assertNotNull(why, "pos " + pos);
        }
        assertEquals("pos-ratio-out-of-band", BalancedPairs.dropReason(7, 20, 0.40, 0.60));
        assertEquals("pos-ratio-out-of-band", BalancedPairs.dropReason(13, 20, 0.40, 0.60));
        assertEquals("all-positive", BalancedPairs.dropReason(20, 20, 0.40, 0.60));
        assertEquals("all-negative", BalancedPairs.dropReason(0, 20, 0.40, 0.60));
        assertEquals("all-positive", BalancedPairs.dropReason(3, 3, 0.0, 1.0));      // both classes are required
        assertEquals("all-negative", BalancedPairs.dropReason(0, 3, 0.0, 1.0));
        assertEquals("no-candidates", BalancedPairs.dropReason(0, 0, 0.0, 1.0));
        assertNull(BalancedPairs.dropReason(2, 5, 0.40, 0.60));
        assertNull(BalancedPairs.dropReason(3, 5, 0.40, 0.60));
        assertEquals("pos-ratio-out-of-band", BalancedPairs.dropReason(1, 3, 0.40, 0.60));
    }
}
