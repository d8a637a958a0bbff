package org.leverplus.data;

import com.fasterxml.jackson.databind.JsonNode;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * An SFT beam file (spec section 5.3: {@code {"<anchor idx>": {beams, few_shot_num, id_list, score_list,
 * shot_scores}}}), read with the same streaming reader as RL data and written back without loss.
 *
 * @param entries   anchors in file order
 * @param extras    non-integer top-level entries (kept and written back)
 * @param extrasFirst whether the extras came before the first anchor
 */
public record SftBeamData(List<SftBeamEntry> entries, Map<String, JsonNode> extras, boolean extrasFirst) {
    public SftBeamData {
        entries = Collections.unmodifiableList(new ArrayList<>(entries));
        extras = Collections.unmodifiableMap(new LinkedHashMap<>(extras));
    }

    /** Reads a beam file (errors name the file, the anchor key and the field). */
    public static SftBeamData read(Path file) throws IOException {
        List<SftBeamEntry> entries = new ArrayList<>();
        Map<String, JsonNode> extras = new LinkedHashMap<>();
        boolean[] first = {false};
        String name = file.toString();
        // The RL reader's streaming core handles the top level; anchors are parsed from the raw object it hands over.
        try (var in = new java.io.BufferedInputStream(org.leverplus.io.Inputs.open(file, "SFT beam file"), 1 << 16);
             var p = org.leverplus.io.JsonSupport.factory().createParser(in)) {
            RawTopLevel.stream(p, name, (key, value) -> {
                if (RlDataReader.isQueryKey(key)) entries.add(SftBeamEntry.parse(key, value, name));
                else {
                    extras.put(key, value);
                    if (entries.isEmpty()) first[0] = true;
                }
            });
        }
        return new SftBeamData(entries, extras, first[0]);
    }

    /** Writes the file atomically. */
    public void write(Path out, boolean overwrite) throws IOException {
        try (RlDataWriter w = RlDataWriter.open(out, overwrite)) {
            if (extrasFirst) for (Map.Entry<String, JsonNode> e : extras.entrySet()) w.entry(e.getKey(), e.getValue());
            for (SftBeamEntry e : entries) w.entry(e.key(), e.raw());
            if (!extrasFirst) for (Map.Entry<String, JsonNode> e : extras.entrySet()) w.entry(e.getKey(), e.getValue());
            w.commit();
        }
    }

    /** Total number of beams (sequences). */
    public long beamCount() {
        long n = 0;
        for (SftBeamEntry e : entries) n += e.idList().size();
        return n;
    }

}
