package org.leverplus.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

/**
 * Typed reads of optional fields of a JSON object, with errors that name file, query key and field. An absent field
 * and a JSON {@code null} both read as "missing" (Python's {@code dict.get} sees both as None).
 */
final class JsonFields {
    private final String file;
    private final String queryKey;
    private final String prefix;

    JsonFields(String file, String queryKey, String prefix) {
        this.file = file;
        this.queryKey = queryKey;
        this.prefix = prefix;
    }

    RlDataFormatException error(String field, String problem) {
        return new RlDataFormatException(file, queryKey, prefix + field, problem);
    }

    static boolean missing(JsonNode n) {
        return n == null || n.isNull();
    }

    static String describe(JsonNode n) {
        if (n == null) return "nothing";
        String text = n.toString();
        if (text.length() > 40) text = text.substring(0, 37) + "...";
        return n.getNodeType().toString().toLowerCase(java.util.Locale.ROOT) + " " + text;
    }

    int[] intArray(ObjectNode o, String field, boolean required) {
        JsonNode n = o.get(field);
        if (missing(n)) {
            if (required) throw error(field, "expected an array of integers but the field is missing");
            return null;
        }
        if (!n.isArray()) throw error(field, "expected an array of integers but found " + describe(n));
        int[] out = new int[n.size()];
        for (int i = 0; i < out.length; i++) {
            JsonNode e = n.get(i);
            if (!e.isIntegralNumber() || !e.canConvertToInt())
                throw error(field + "[" + i + "]", "expected an integer but found " + describe(e));
            out[i] = e.intValue();
        }
        return out;
    }

    Double number(ObjectNode o, String field) {
        JsonNode n = o.get(field);
        if (missing(n)) return null;
        if (n.isBoolean()) return n.booleanValue() ? 1.0 : 0.0; // Python: True == 1
        if (!n.isNumber()) throw error(field, "expected a number but found " + describe(n));
        return n.doubleValue();
    }

    Integer int01(ObjectNode o, String field) {
        JsonNode n = o.get(field);
        if (missing(n)) return null;
        if (n.isBoolean()) return n.booleanValue() ? 1 : 0;
        if (n.isNumber() && (n.doubleValue() == 0 || n.doubleValue() == 1)) return (int) n.doubleValue();
        throw error(field, "expected 0 or 1 but found " + describe(n));
    }

    String string(ObjectNode o, String field) {
        JsonNode n = o.get(field);
        if (missing(n)) return null;
        if (!n.isTextual()) throw error(field, "expected a string but found " + describe(n));
        return n.textValue();
    }

    boolean bool(ObjectNode o, String field) {
        JsonNode n = o.get(field);
        if (missing(n)) return false;
        if (n.isBoolean()) return n.booleanValue();
        if (n.isNumber()) return n.doubleValue() != 0; // Python truthiness
        throw error(field, "expected a boolean but found " + describe(n));
    }

    ObjectNode object(ObjectNode o, String field) {
        JsonNode n = o.get(field);
        if (missing(n)) return null;
        if (!n.isObject()) throw error(field, "expected an object but found " + describe(n));
        return (ObjectNode) n;
    }

    static ArrayNode intArrayNode(int[] values) {
        ArrayNode a = JsonNodeFactory.instance.arrayNode(values.length);
        for (int v : values) a.add(v);
        return a;
    }
}
