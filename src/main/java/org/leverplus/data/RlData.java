package org.leverplus.data;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;

import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A whole RL data file in memory: the query groups in file order, the optional {@code _meta} object, and any other
 * non-integer top-level entries (which Lever-Plus's loaders skip and this project preserves).
 *
 * @param queries   query groups in file order (keys are unique)
 * @param meta      the {@code _meta} object, or null
 * @param extras    other non-integer top-level keys with their values, in file order
 * @param metaFirst whether {@code _meta} and the extras came before the first query in the file (written back the same way)
 */
public record RlData(List<RlQuery> queries, ObjectNode meta, Map<String, JsonNode> extras, boolean metaFirst) {
    public RlData {
        queries = Collections.unmodifiableList(new ArrayList<>(queries));
        extras = Collections.unmodifiableMap(new LinkedHashMap<>(extras));
    }

    /** A file with these queries and no metadata. */
    public static RlData of(List<RlQuery> queries) {
        return new RlData(queries, null, Map.of(), false);
    }

    /** The same file with other queries. */
    public RlData withQueries(List<RlQuery> newQueries) {
        return new RlData(newQueries, meta, extras, metaFirst);
    }

    /** The same file with another {@code _meta}. */
    public RlData withMeta(ObjectNode newMeta) {
        return new RlData(queries, newMeta, extras, metaFirst);
    }

    /** Total number of candidates. */
    public long candidateCount() {
        long n = 0;
        for (RlQuery q : queries) n += q.candidates().size();
        return n;
    }
}
