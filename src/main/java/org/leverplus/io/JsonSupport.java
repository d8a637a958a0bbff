package org.leverplus.io;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.json.JsonReadFeature;
import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;

import java.io.IOException;
import java.io.OutputStream;

/**
 * The one Jackson configuration for files the Python side writes: Python's {@code json} module emits {@code NaN},
 * {@code Infinity} and {@code -Infinity} as bare literals, so they are accepted on read and written back the same way.
 * Doubles print with Java's shortest round-trip representation, so every number reads back to the same value.
 */
public final class JsonSupport {
    private static final ObjectMapper MAPPER = JsonMapper.builder()
            .enable(JsonReadFeature.ALLOW_NON_NUMERIC_NUMBERS)
            .disable(JsonWriteFeature.WRITE_NAN_AS_STRINGS)
            .build();

    private JsonSupport() {
    }

    /** The shared mapper (thread-safe). */
    private static final ObjectMapper SNAKE = new ObjectMapper()
            .setPropertyNamingStrategy(com.fasterxml.jackson.databind.PropertyNamingStrategies.SNAKE_CASE);

    /** A record or bean as a JSON object with snake_case keys: the one key style of every {@code --json} output. */
    public static com.fasterxml.jackson.databind.node.ObjectNode snakeCase(Object value) {
        return SNAKE.valueToTree(value);
    }

    public static ObjectMapper mapper() {
        return MAPPER;
    }

    /** The shared factory, for streaming parsers. */
    public static JsonFactory factory() {
        return MAPPER.getFactory();
    }

    /** A generator with the project's output style: two-space indentation, {@code "key": value}, like Python's indent=2. */
    public static JsonGenerator prettyGenerator(OutputStream out) throws IOException {
        JsonGenerator g = factory().createGenerator(out);
        DefaultPrettyPrinter pp = new DefaultPrettyPrinter(Separators.createDefaultInstance()
                .withObjectFieldValueSpacing(Separators.Spacing.AFTER))
                .withObjectIndenter(DefaultIndenter.SYSTEM_LINEFEED_INSTANCE.withLinefeed("\n"))
                .withArrayIndenter(DefaultIndenter.SYSTEM_LINEFEED_INSTANCE.withLinefeed("\n"));
        g.setPrettyPrinter(pp);
        return g;
    }

    /** A compact generator (one line), for JSONL and large files. */
    public static JsonGenerator compactGenerator(OutputStream out) throws IOException {
        return factory().createGenerator(out);
    }

    /**
     * A JSON error in words, one line: Jackson's own message without its internals ({@code [Source: REDACTED ...]},
     * {@code StreamReadConstraints}/{@code StreamReadFeature} hints, token names such as {@code START_ARRAY}) plus the
     * line and column. Other exceptions give their message.
     */
    public static String describe(Throwable e) {
        if (e instanceof com.fasterxml.jackson.core.JsonProcessingException j) {
            String m = j.getOriginalMessage();
            m = m == null ? "malformed JSON" : words(m);
            var loc = j.getLocation();
            return loc == null || loc.getLineNr() < 1 ? m : m + " (line " + loc.getLineNr() + ", column " + loc.getColumnNr() + ")";
        }
        return e.getMessage() == null ? e.getClass().getSimpleName() : words(e.getMessage());
    }

    /** Jackson's token names and internal hints in words (first line only). */
    public static String words(String m) {
        int nl = m.indexOf('\n');
        if (nl >= 0) m = m.substring(0, nl);
        m = m.replaceAll("\\s*\\[Source: .*$", "")
                .replaceAll(" ?\\(from `StreamReadConstraints[^)]*\\)", "")
                .replaceAll(" ?\\(`StreamReadFeature[^)]*\\)", "")
                .replaceAll(" ?\\(`StreamReadConstraints[^)]*\\)", "")
                .replaceAll(" ?\\(bound as `[^`]*`\\)", "")
                .replaceAll(":? not allowed (as per|when) `[^`]*`( enabled)?", "")
                .replaceAll(" for `[A-Za-z.]*ObjectNode`", "")
                .replace("Trailing token (of type START_OBJECT) found after value", "a second JSON value follows the first (one value per line)")
                .replaceAll("Trailing token \\(of type ([A-Z_]+)\\) found after value", "more JSON follows the value ($1)");
        return m.replace("START_ARRAY", "an array").replace("START_OBJECT", "an object").replace("END_ARRAY", "the end of an array")
                .replace("END_OBJECT", "the end of an object").replace("VALUE_STRING", "a string").replace("VALUE_NUMBER_INT", "an integer")
                .replace("VALUE_NUMBER_FLOAT", "a number").replace("VALUE_TRUE", "true").replace("VALUE_FALSE", "false")
                .replace("VALUE_NULL", "null").replace("FIELD_NAME", "a field name").strip();
    }
}
