package org.leverplus.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Iterator;
import java.util.Map;

/**
 * Records what a tool did in {@code _meta}: the summary keys Lever-Plus's own scripts write (e.g.
 * {@code filtered_at}, {@code original_query_count}) at the top level, and the full record appended to
 * {@code _meta.lever_history}. A top-level key that an earlier step had written with another value is kept in the
 * history entry under {@code replaced_meta}, so no earlier metadata is lost.
 */
final class MetaHistory {
    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss");

    private MetaHistory() {
    }

    /** The current UTC time in Lever-Plus's {@code created_at} format. */
    static String now() {
        // SOURCE_DATE_EPOCH (the reproducible-builds convention) pins the time, so identical runs give identical bytes
        String epoch = System.getenv("SOURCE_DATE_EPOCH");
        if (epoch != null && epoch.strip().matches("\\d{1,12}"))
            return LocalDateTime.ofEpochSecond(Long.parseLong(epoch.strip()), 0, ZoneOffset.UTC).format(TIME);
        return LocalDateTime.now(ZoneOffset.UTC).format(TIME);
    }

    /**
     * A copy of {@code meta} (or a new object) with {@code summary}'s keys set at the top level and
     * {@code {"op": op, ...summary}} appended to {@code lever_history}.
     */
    static ObjectNode record(ObjectNode meta, String op, ObjectNode summary) {
        ObjectNode out = meta == null ? JsonNodeFactory.instance.objectNode() : meta.deepCopy();
        ObjectNode entry = JsonNodeFactory.instance.objectNode();
        entry.put("op", op);
        entry.setAll(summary);
        ObjectNode replaced = JsonNodeFactory.instance.objectNode();
        for (Iterator<Map.Entry<String, JsonNode>> it = summary.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode old = out.get(e.getKey());
            if (old != null && !old.equals(e.getValue())) replaced.set(e.getKey(), old);
            out.set(e.getKey(), e.getValue());
        }
        if (!replaced.isEmpty()) entry.set("replaced_meta", replaced);
        JsonNode hist = out.get("lever_history");
        ArrayNode arr;
        if (hist instanceof ArrayNode a) arr = a;
        else {
            arr = out.putArray("lever_history");
            if (hist != null) arr.add(hist); // an unexpected non-array value is kept as the first entry
        }
        arr.add(entry);
        return out;
    }
}
