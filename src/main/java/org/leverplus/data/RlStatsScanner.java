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
        InputStream in;
        try {
            in = Files.newInputStream(file);
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(name, null, "no such RL data file");
        }
        String key = null;
        try (in; JsonParser p = JsonSupport.factory().createParser(in)) {
            JsonToken t = p.nextToken();
            if (t != JsonToken.START_OBJECT)
                throw new RlDataFormatException(name, null, null, "expected a JSON object of query groups at the top level but found " + t);
            Set<String> seen = new HashSet<>();
            RlStats.QueryTally tally = new RlStats.QueryTally();
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                key = p.currentName();
                if (!seen.add(key)) throw new RlDataFormatException(name, key, null, "duplicated top-level key");
                t = p.nextToken();
                if (RlDataReader.META_KEY.equals(key)) {
                    if (t != JsonToken.START_OBJECT) throw new RlDataFormatException(name, null, key, "expected an object but found " + t);
                    stats.sawMeta();
                    p.skipChildren();
                } else if (RlDataReader.isQueryKey(key)) {
                    if (t != JsonToken.START_OBJECT) throw new RlDataFormatException(name, key, null, "expected a query object but found " + t);
                    tally.reset();
                    scanQuery(p, name, key, tally);
                    stats.add(tally);
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
                    throw new RlDataFormatException(file, key, "pointer_candidates", "expected an array of candidates but found " + t);
                sawCandidates = true;
                int i = 0;
                while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                    if (t != JsonToken.START_OBJECT)
                        throw new RlDataFormatException(file, key, "pointer_candidates[" + i + "]", "expected an object but found " + t);
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
                    else throw new RlDataFormatException(file, key, "pointer_candidates[" + i + "].vqa_correct", "expected 0 or 1 but found " + t);
                }
                case "vqa_acc_score" -> {
                    if (t == JsonToken.VALUE_NULL) acc = null;
                    else if (t == JsonToken.VALUE_NUMBER_INT || t == JsonToken.VALUE_NUMBER_FLOAT) acc = p.getDoubleValue();
                    else if (t == JsonToken.VALUE_TRUE || t == JsonToken.VALUE_FALSE) acc = t == JsonToken.VALUE_TRUE ? 1.0 : 0.0;
                    else throw new RlDataFormatException(file, key, "pointer_candidates[" + i + "].vqa_acc_score", "expected a number but found " + t);
                }
                case "vqa_eval_mode" -> {
                    if (t == JsonToken.VALUE_NULL) mode = null;
                    else if (t == JsonToken.VALUE_STRING) mode = p.getText();
                    else throw new RlDataFormatException(file, key, "pointer_candidates[" + i + "].vqa_eval_mode", "expected a string but found " + t);
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
