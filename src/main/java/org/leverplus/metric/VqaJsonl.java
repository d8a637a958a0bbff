package org.leverplus.metric;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import org.leverplus.io.JsonSupport;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * Scores JSONL input for {@code lever metric vqa}: one object {@code {"pred": "...", "gts": ["...", ...]}} per line,
 * one accuracy per output line (full precision, input order). The first malformed line stops the run with an error
 * naming its line number; lines already scored have been printed.
 */
public final class VqaJsonl {
    private VqaJsonl() {
    }

    /** Scores every line of {@code in}; {@code source} names the input in errors. Returns the number of lines scored. */
    public static long score(BufferedReader in, PrintWriter out, VqaAccuracy metric, String source) throws IOException {
        long lineNo = 0;
        for (String line; (line = in.readLine()) != null; ) {
            lineNo++;
            double acc = scoreLine(line, metric, source, lineNo);
            out.println(Double.toString(acc));
        }
        out.flush();
        return lineNo;
    }

    private static final com.fasterxml.jackson.databind.ObjectReader STRICT = JsonSupport.mapper().reader()
            .with(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);

    static double scoreLine(String line, VqaAccuracy metric, String source, long lineNo) {
        String where = source + ": line " + lineNo + ": ";
        if (line.isBlank()) throw new IllegalArgumentException(where + "expected a JSON object but found an empty line");
        JsonNode o;
        try {
            // one object per line, each key once: a second object or a repeated "pred" would otherwise be dropped silently
            o = STRICT.with(com.fasterxml.jackson.databind.DeserializationFeature.FAIL_ON_TRAILING_TOKENS).readTree(line);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(where + "malformed JSON: " + JsonSupport.describe(e));
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException(where + "malformed JSON: " + e.getMessage());
        }
        if (o == null || !o.isObject()) throw new IllegalArgumentException(where + "expected a JSON object");
        JsonNode pred = o.get("pred");
        if (pred == null || !pred.isTextual())
            throw new IllegalArgumentException(where + "pred: expected a string but found " + (pred == null ? "nothing" : pred.toString()));
        JsonNode gts = o.get("gts");
        if (gts == null || !gts.isArray() || gts.isEmpty())
            throw new IllegalArgumentException(where + "gts: expected a non-empty array of strings but found " + (gts == null ? "nothing" : gts.toString()));
        List<String> answers = new ArrayList<>(gts.size());
        for (int i = 0; i < gts.size(); i++) {
            if (!gts.get(i).isTextual())
                throw new IllegalArgumentException(where + "gts[" + i + "]: expected a string but found " + gts.get(i));
            answers.add(gts.get(i).textValue());
        }
        return metric.score(pred.textValue(), answers);
    }
}
