package org.leverplus.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/** {@code lever data convert}: rewrites every query's pointers as local or global ({@link PointerConversion}), streaming. */
public final class RlConvert {
    private RlConvert() {
    }

    /** Converts {@code in} into {@code out} (atomically); returns the number of queries. */
    public static long run(Path in, Path out, PointerConversion.Target target, boolean overwrite) throws IOException {
        long[] n = {0};
        ObjectNode[] meta = {null};
        try (RlDataWriter w = RlDataWriter.open(out, overwrite)) {
            try {
                RlDataReader.stream(in, new RlDataReader.Visitor() {
                    @Override public void meta(ObjectNode m) {
                        meta[0] = m;
                    }

                    @Override public void extra(String key, JsonNode value) {
                        RlFilter.write(() -> w.entry(key, value));
                    }

                    @Override public void query(RlQuery q) {
                        n[0]++;
                        RlQuery c = PointerConversion.convert(q, target, in.toString());
                        RlFilter.write(() -> w.query(c));
                    }
                });
            } catch (UncheckedIOException e) {
                throw e.getCause();
            }
            ObjectNode s = JsonNodeFactory.instance.objectNode();
            s.put("converted_at", MetaHistory.now());
            s.put("pointers", target.name().toLowerCase(java.util.Locale.ROOT));
            s.put("source_file", in.toString());
            w.meta(MetaHistory.record(meta[0], "convert", s));
            w.commit();
        }
        return n[0];
    }
}
