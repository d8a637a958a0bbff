package org.leverplus.rlgen;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.*;

/** Against CPython 3.11's difflib and the original's relevance (goldens: tools/make_difflib_goldens.py). */
class SequenceMatcherTest {

    @Test void ratiosEqualCpythonOnThreeThousandPairs() throws Exception {
        ObjectMapper json = new ObjectMapper();
        int n = 0, autojunk = 0;
        try (BufferedReader in = new BufferedReader(new InputStreamReader(new GZIPInputStream(
                getClass().getResourceAsStream("difflib-goldens.jsonl.gz")), StandardCharsets.UTF_8))) {
            for (String line; (line = in.readLine()) != null; n++) {
                JsonNode r = json.readTree(line);
                String a = r.get("a").asText(), b = r.get("b").asText();
                assertEquals(r.get("ratio").asDouble(), SequenceMatcher.ratio(a, b), 0.0, "line " + (n + 1) + ": " + a + " | " + b);
                assertEquals(r.get("f1").asDouble(), Relevance.tokenF1(a, b), 1e-15, "f1 line " + (n + 1));
                List<String> gts = new ArrayList<>();
                r.get("gts").forEach(g -> gts.add(g.asText()));
                Relevance rel = Relevance.of(a, gts);
                assertEquals(r.get("rel").get(0).asDouble(), rel.tokenF1(), 1e-15);
                assertEquals(r.get("rel").get(1).asDouble(), rel.editSim(), 0.0);
                assertEquals(r.get("rel").get(2).asDouble(), rel.score(), 1e-15);
                if (b.codePointCount(0, b.length()) >= 200) autojunk++;
            }
        }
        assertEquals(3000, n);
        assertTrue(autojunk > 200, "long pairs: " + autojunk);
    }

    @Test void knownValues() {
        assertEquals(0.75, SequenceMatcher.ratio("abcd", "bcde"));
        assertEquals(1.0, SequenceMatcher.ratio("", ""));
        assertEquals(0.0, SequenceMatcher.ratio("", "a"));
        // autojunk: 'a' is popular in b (len 200), so only the 'b' can start a match; CPython gives 2/201
        String b = "a".repeat(199) + "b";
        assertEquals(2.0 / 201, SequenceMatcher.ratio("ab".substring(1), b), 0.0);
        assertEquals(2.0 / 201, SequenceMatcher.ratio("a", b));        // no match can start on it, but one extends over it at (0, 0)
        assertEquals(2.0 * 2 / 202, SequenceMatcher.ratio("ab", b));   // the match on 'b' extends left over the popular 'a'
        assertEquals(1.0, Relevance.tokenF1("Two dogs", "two, dogs!"));
        assertEquals(new Relevance(0, 0, 0), Relevance.of("  ", List.of("two")));
    }
}
