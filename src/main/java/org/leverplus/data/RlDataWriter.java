package org.leverplus.data;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.leverplus.io.AtomicOutput;
import org.leverplus.io.JsonSupport;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Map;
import java.util.Set;

/**
 * Writes an RL data file entry by entry, atomically: nothing appears at the target path until {@link #commit()};
 * closing without a commit (an exception on the way) deletes the temporary file.
 *
 * <pre>{@code
 * try (RlDataWriter w = RlDataWriter.open(out, overwrite)) {
 *     for (RlQuery q : queries) w.query(q);
 *     w.meta(meta);
 *     w.commit();
 * }
 * }</pre>
 * Each entry is written from its {@code raw} JSON, so fields this project does not model survive unchanged.
 */
public final class RlDataWriter implements AutoCloseable {
    private final AtomicOutput out;
    private final JsonGenerator gen;
    private final Set<String> keys = new HashSet<>();
    private boolean committed;

    private RlDataWriter(AtomicOutput out, JsonGenerator gen) {
        this.out = out;
        this.gen = gen;
    }

    /** Opens {@code target} for writing (refused when it exists and {@code overwrite} is false). */
    public static RlDataWriter open(Path target, boolean overwrite) throws IOException {
        AtomicOutput out = AtomicOutput.create(target, overwrite);
        try {
            JsonGenerator g = JsonSupport.prettyGenerator(out.stream());
            g.writeStartObject();
            return new RlDataWriter(out, g);
        } catch (IOException | RuntimeException e) {
            out.close();
            throw e;
        }
    }

    /** Writes a whole file. */
    public static void write(Path target, RlData data, boolean overwrite) throws IOException {
        try (RlDataWriter w = open(target, overwrite)) {
            if (data.metaFirst()) w.header(data);
            for (RlQuery q : data.queries()) w.query(q);
            if (!data.metaFirst()) w.header(data);
            w.commit();
        }
    }

    private void header(RlData data) throws IOException {
        for (Map.Entry<String, JsonNode> e : data.extras().entrySet()) entry(e.getKey(), e.getValue());
        if (data.meta() != null) meta(data.meta());
    }

    /** Writes a query group under its key. */
    public void query(RlQuery q) throws IOException {
        entry(q.key(), q.raw());
    }

    /** Writes {@code _meta}. */
    public void meta(ObjectNode meta) throws IOException {
        entry(RlDataReader.META_KEY, meta);
    }

    /** Writes any other top-level entry. */
    public void entry(String key, JsonNode value) throws IOException {
        if (!keys.add(key))
            throw new IllegalArgumentException(out.target() + ": query \"" + key + "\": key written twice");
        gen.writeFieldName(key);
        JsonSupport.mapper().writeTree(gen, value);
    }

    /** Finishes the JSON and renames the file into place. */
    public void commit() throws IOException {
        gen.writeEndObject();
        gen.writeRaw('\n');
        gen.flush();
        out.commit();
        committed = true;
    }

    @Override public void close() throws IOException {
        try {
            if (!committed) gen.close();
        } catch (IOException ignored) {
            // abandoned output; the temporary file is removed below
        } finally {
            out.close();
        }
    }
}
