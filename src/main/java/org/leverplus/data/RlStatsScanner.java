package org.leverplus.data;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import org.leverplus.io.JsonSupport;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * The fast path of {@code lever data stats}: a token-level scan that reads only the fields the statistics need
 * ({@code vqa_correct}, {@code vqa_acc_score}, {@code vqa_eval_mode}, the presence of {@code pointer_global}) and skips
 * everything else without building JSON trees. The counted fields are type-checked (errors name file, query key and
 * field); the rest of the schema is {@code lever data validate}'s job. Agrees with {@link RlStats#of(RlData)} on every
 * well-formed file (tested).
 */
final class RlStatsScanner {
    private RlStatsScanner() {
    }

    static void scan(Path file, RlStats stats) throws IOException {
        String name = file.toString();
        InputStream in = org.leverplus.io.Inputs.open(file, "RL data file");
        String key = null;
        try (in; JsonParser p = JsonSupport.factory().createParser(in)) {
            JsonToken t = p.nextToken();
            if (t != JsonToken.START_OBJECT)
                throw new RlDataFormatException(name, null, null, "expected a JSON object of query groups at the top level but found " + org.leverplus.io.JsonSupport.words(String.valueOf(t)));
            Set<String> seen = new HashSet<>();
            java.util.Map<Integer, String> indexKeys = new java.util.HashMap<>();
            RlStats.QueryTally tally = new RlStats.QueryTally();
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                key = p.currentName();
                if (!seen.add(key)) throw new RlDataFormatException(name, key, null, "duplicated top-level key");
                t = p.nextToken();
                if (RlDataReader.META_KEY.equals(key)) {
                    if (t != JsonToken.START_OBJECT) throw new RlDataFormatException(name, null, key, "expected an object but found " + org.leverplus.io.JsonSupport.words(String.valueOf(t)));
                    stats.sawMeta();
                    p.skipChildren();
                } else if (RlDataReader.isQueryKey(key)) {
                    if (t != JsonToken.START_OBJECT) throw new RlDataFormatException(name, key, null, "expected a query object but found " + org.leverplus.io.JsonSupport.words(String.valueOf(t)));
                    Integer idx = RlDataReader.parseIndex(key);
                    if (idx == null)
                        throw new RlDataFormatException(name, key, null, "query key out of range: expected a dataset index of at most " + Integer.MAX_VALUE);
                    String other = indexKeys.putIfAbsent(idx, key);
                    if (other != null)
                        throw new RlDataFormatException(name, key, null, "names the same query index " + idx + " as key \"" + other
                                + "\" (both would be query " + idx + ")");
                    tally.reset();
                    scanQuery(p, name, key, tally);
                    stats.add(tally);
                } else if (t == JsonToken.START_OBJECT) {
                    // a query group under a non-integer key would be skipped silently by Lever-Plus's loaders: an error
                    while (p.nextToken() == JsonToken.FIELD_NAME) {
                        if (p.currentName().equals("pointer_candidates"))
                            throw new RlDataFormatException(name, key, null, "holds a query group but is not an integer query key "
                                    + "(Lever-Plus's loaders would silently skip it); rename it to its dataset index");
                        p.nextToken();
                        p.skipChildren();
                    }
                } else {
                    p.skipChildren();
                }
                key = null;
            }
            if (t != JsonToken.END_OBJECT)
                throw new RlDataFormatException(name, key, null, "truncated JSON: the top-level object is not closed");
        } catch (JsonProcessingException e) {
            throw new RlDataFormatException(name, key, null, RlDataReader.describe(e));
        }
    }

    private static void scanQuery(JsonParser p, String file, String key, RlStats.QueryTally tally) throws IOException {
        boolean sawCandidates = false;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String f = p.currentName();
            JsonToken t = p.nextToken();
            if (f.equals("pointer_candidates")) {
                if (t != JsonToken.START_ARRAY)
                    throw new RlDataFormatException(file, key, "pointer_candidates", "expected an array of candidates but found " + org.leverplus.io.JsonSupport.words(String.valueOf(t)));
                sawCandidates = true;
                int i = 0;
                while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                    if (t != JsonToken.START_OBJECT)
                        throw new RlDataFormatException(file, key, "pointer_candidates[" + i + "]", "expected an object but found " + org.leverplus.io.JsonSupport.words(String.valueOf(t)));
                    scanCandidate(p, file, key, i++, tally);
                }
            } else {
                p.skipChildren();
            }
        }
        if (!sawCandidates)
            throw new RlDataFormatException(file, key, "pointer_candidates", "expected an array of candidates but the field is missing");
    }

    private static void scanCandidate(JsonParser p, String file, String key, int i, RlStats.QueryTally tally) throws IOException {
        Integer hard = null;
        Double acc = null;
        String mode = null;
        boolean local = false;
        while (p.nextToken() == JsonToken.FIELD_NAME) {
            String f = p.currentName();
            JsonToken t = p.nextToken();
            switch (f) {
                case "vqa_correct" -> {
                    if (t == JsonToken.VALUE_NULL) hard = null;
                    else if (t == JsonToken.VALUE_TRUE || t == JsonToken.VALUE_FALSE) hard = t == JsonToken.VALUE_TRUE ? 1 : 0;
                    else if (t == JsonToken.VALUE_NUMBER_INT) hard = p.getIntValue();
                    else if (t == JsonToken.VALUE_NUMBER_FLOAT && p.getDoubleValue() == Math.rint(p.getDoubleValue())) hard = (int) p.getDoubleValue();
                    else throw new RlDataFormatException(file, key, "pointer_candidates[" + i + "].vqa_correct", "expected 0 or 1 but found " + org.leverplus.io.JsonSupport.words(String.valueOf(t)));
                }
                case "vqa_acc_score" -> {
                    if (t == JsonToken.VALUE_NULL) acc = null;
                    else if (t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT) acc = p.getDoubleValue();
                    else if (t == JsonToken.VALUE_TRUE || t == JsonToken.VALUE_FALSE) acc = t == JsonToken.VALUE_TRUE ? 1.0 : 0.0;
                    else throw new RlDataFormatException(file, key, "pointer_candidates[" + i + "].vqa_acc_score", "expected a number but found " + org.leverplus.io.JsonSupport.words(String.valueOf(t)));
                }
                case "vqa_eval_mode" -> {
                    if (t == JsonToken.VALUE_NULL) mode = null;
                    else if (t == JsonToken.VALUE_STRING) mode = p.getText();
                    else throw new RlDataFormatException(file, key, "pointer_candidates[" + i + "].vqa_eval_mode", "expected a string but found " + org.leverplus.io.JsonSupport.words(String.valueOf(t)));
                }
                case "pointer_global" -> {
                    local = t != JsonToken.VALUE_NULL;
                    p.skipChildren();
                }
                default -> p.skipChildren();
            }
        }
        tally.candidate(hard, acc, EvalMode.parse(mode), local);
    }
}
