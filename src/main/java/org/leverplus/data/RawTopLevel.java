package org.leverplus.data;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectReader;
import org.leverplus.io.JsonSupport;

import java.io.IOException;
import java.util.HashSet;
import java.util.Set;

/** Streams the entries of a top-level JSON object, one value in memory at a time, rejecting duplicated keys. */
final class RawTopLevel {
    interface EntryVisitor {
        void entry(String key, JsonNode value);
    }

    private static final ObjectReader TREE = JsonSupport.mapper().reader().with(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY);

    private RawTopLevel() {
    }

    static void stream(JsonParser p, String name, EntryVisitor v) throws IOException {
        String key = null;
        try {
            JsonToken t = p.nextToken();
            if (t != JsonToken.START_OBJECT)
                throw new RlDataFormatException(name, null, null, "expected a JSON object at the top level but found " + t);
            Set<String> seen = new HashSet<>();
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                key = p.currentName();
                if (!seen.add(key)) throw new RlDataFormatException(name, key, null, "duplicated top-level key");
                p.nextToken();
                v.entry(key, TREE.readTree(p));
                key = null;
            }
            if (t != JsonToken.END_OBJECT)
                throw new RlDataFormatException(name, key, null, "truncated JSON: the top-level object is not closed");
        } catch (JsonProcessingException e) {
            throw new RlDataFormatException(name, key, null, RlDataReader.describe(e));
        }
    }
}
