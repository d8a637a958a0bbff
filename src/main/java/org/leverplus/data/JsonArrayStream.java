package org.leverplus.data;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.databind.JsonNode;
import org.leverplus.io.JsonSupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Streams the objects of one top-level array ({@code {"annotations": [...]}}) with one element in memory at a time:
 * the official VQA files are hundreds of MB.
 */
final class JsonArrayStream {
    interface Visitor {
        void visit(JsonNode element, int index);
    }

    private JsonArrayStream() {
    }

    static void stream(Path file, String field, Visitor visitor) throws IOException {
        if (!Files.exists(file)) throw new NoSuchFileException(file.toString(), null, "no such file");
        boolean found = false;
        try (JsonParser p = JsonSupport.factory().createParser(file.toFile())) {
            if (p.nextToken() != JsonToken.START_OBJECT)
                throw new IllegalArgumentException(file + ": expected a JSON object with a \"" + field + "\" array");
            JsonToken t;
            while ((t = p.nextToken()) == JsonToken.FIELD_NAME) {
                String name = p.currentName();
                t = p.nextToken();
                if (name.equals(field)) {
                    if (t != JsonToken.START_ARRAY) throw new IllegalArgumentException(file + ": " + field + ": expected an array but found " + t);
                    found = true;
                    int i = 0;
                    while ((t = p.nextToken()) != JsonToken.END_ARRAY) {
                        if (t == null) throw new IllegalArgumentException(file + ": truncated JSON inside \"" + field + "\"");
                        JsonNode e = JsonSupport.mapper().readTree(p);
                        if (!e.isObject()) throw new IllegalArgumentException(file + ": " + field + "[" + i + "]: expected an object but found " + e.getNodeType());
                        visitor.visit(e, i++);
                    }
                } else {
                    p.skipChildren();
                }
            }
            if (t != JsonToken.END_OBJECT) throw new IllegalArgumentException(file + ": truncated JSON: the top-level object is not closed");
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException(file + ": " + RlDataReader.describe(e));
        }
        if (!found) throw new IllegalArgumentException(file + ": expected a top-level \"" + field + "\" array but found none");
    }
}
