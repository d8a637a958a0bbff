package org.leverplus.eval;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.InputStream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The random baseline's draws equal NumPy's legacy RandomState (goldens: tools/numpy_random_goldens.py). */
class NumpyRandomStateTest {
    static JsonNode goldens() throws Exception {
        try (InputStream in = NumpyRandomStateTest.class.getResourceAsStream("/org/leverplus/eval/numpy-random-goldens.json")) {
            return new ObjectMapper().readTree(in);
        }
    }

    @Test
    void rawOutputsEqualNumpy() throws Exception {
        JsonNode raw = goldens().get("raw");
        for (var it = raw.fieldNames(); it.hasNext(); ) {
            String seed = it.next();
            NumpyRandomState rs = new NumpyRandomState(Long.parseLong(seed));
            for (JsonNode v : raw.get(seed)) assertEquals(v.asLong(), rs.nextUint32(), "seed " + seed);
        }
    }

    @Test
    void choiceWithoutReplacementEqualsNumpyForSeed42() throws Exception {
        int cases = 0;
        for (JsonNode c : goldens().get("choice")) {
            int n = c.get("n_train").asInt(), k = c.get("k").asInt();
            NumpyRandomState rs = new NumpyRandomState(42);
            int q = 0;
            for (JsonNode picks : c.get("picks")) {
                int[] want = new int[picks.size()];
                for (int i = 0; i < want.length; i++) want[i] = picks.get(i).asInt();
                assertArrayEquals(want, rs.choiceWithoutReplacement(n, k), "n_train " + n + ", k " + k + ", question " + q++);
            }
            cases++;
        }
        assertEquals(10, cases);
    }

    @Test
    void retrieverReseedsBeforeEveryShotCount() throws Exception {
        // the RandomRetriever gives each shot count the stream of a fresh seed(42): question i at k shots equals the
        // golden's i-th draw, whatever shot counts ran before
        JsonNode c = goldens().get("choice").get(2);   // n_train 10, k 4
        RandomRetriever r = new RandomRetriever(10, 42);
        r.retrieve(3, 7);
        int[][] got = r.retrieve(4, 5);
        for (int i = 0; i < 5; i++)
            for (int j = 0; j < 4; j++) assertEquals(c.get("picks").get(i).get(j).asInt(), got[i][j]);
    }

    @Test
    void rejectsImpossibleRequests() {
        NumpyRandomState rs = new NumpyRandomState(42);
        assertThrows(IllegalArgumentException.class, () -> rs.choiceWithoutReplacement(3, 4));
        assertThrows(IllegalArgumentException.class, () -> new NumpyRandomState(-1));
    }
}
