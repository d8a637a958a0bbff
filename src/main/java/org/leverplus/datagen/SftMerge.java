package org.leverplus.datagen;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.leverplus.data.SftBeamData;
import org.leverplus.data.SftBeamEntry;
import org.leverplus.data.RlDataWriter;
import org.leverplus.io.JsonSupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Merges the SFT files of {@code lever generate sft --shard i/n} runs into the file one run writes: shards are put in
 * shard order (read from their {@code .meta.json} sidecars; without sidecars, the order given), anchors concatenated.
 * All shards must have the same settings apart from the shard, every shard of {@code n} must be present, and an
 * anchor may appear once only.
 */
public final class SftMerge {
    private SftMerge() {}

    /** Whether {@code file} looks like an SFT beam file (its first anchor has {@code id_list}). */
    public static boolean isSftFile(Path file) throws IOException {
        try (var p = JsonSupport.factory().createParser(Files.newInputStream(file))) {
            if (p.nextToken() != com.fasterxml.jackson.core.JsonToken.START_OBJECT) return false;
            while (p.nextToken() == com.fasterxml.jackson.core.JsonToken.FIELD_NAME) {
                String key = p.currentName();
                p.nextToken();
                if (key.matches("-?\\d+")) {
                    JsonNode n = JsonSupport.mapper().readTree(p);
                    return n != null && n.isObject() && n.has("id_list");
                }
                p.skipChildren();
            }
            return false;
        }
    }

    /** Merges; returns the number of anchors written. */
    public static int run(List<Path> inputs, Path out, boolean overwrite) throws IOException {
        if (inputs.isEmpty()) throw new IllegalArgumentException("merge: expected at least one input file");
        record Part(Path file, ObjectNode meta, int shard, int count) {}
        List<Part> parts = new ArrayList<>();
        boolean allMeta = true;
        for (Path f : inputs) {
            Path m = SftRun.metaPath(f);
            ObjectNode meta = null;
            int shard = -1, count = -1;
            if (Files.isRegularFile(m)) {
                meta = (ObjectNode) JsonSupport.mapper().readTree(m.toFile());
                String[] s = meta.path("settings").path("shard").asText("0/1").split("/");
                shard = Integer.parseInt(s[0]);
                count = Integer.parseInt(s[1]);
            } else allMeta = false;
            parts.add(new Part(f, meta, shard, count));
        }
        if (allMeta) {
            ObjectNode first = settingsWithoutShard(parts.get(0).meta());
            int n = parts.get(0).count();
            boolean[] seen = new boolean[n];
            for (Part p : parts) {
                if (!settingsWithoutShard(p.meta()).equals(first))
                    throw new IllegalArgumentException(p.file() + ": made with other settings than " + parts.get(0).file() + " (compare their .meta.json)");
                if (p.count() != n) throw new IllegalArgumentException(p.file() + ": shard " + p.shard() + "/" + p.count() + " but " + parts.get(0).file() + " is of " + n);
                if (seen[p.shard()]) throw new IllegalArgumentException(p.file() + ": shard " + p.shard() + "/" + n + " given twice");
                seen[p.shard()] = true;
            }
            for (int i = 0; i < n; i++) if (!seen[i]) throw new IllegalArgumentException("merge: shard " + i + "/" + n + " is missing");
            parts.sort(Comparator.comparingInt(Part::shard));
        }
        Map<String, Path> where = new HashMap<>();
        int written = 0, skipped = 0;
        ArrayNode skippedList = JsonSupport.mapper().createArrayNode();
        try (RlDataWriter w = RlDataWriter.open(out, overwrite)) {
            for (Part p : parts) {
                SftBeamData d = SftBeamData.read(p.file());
                for (SftBeamEntry e : d.entries()) {
                    Path prev = where.put(e.key(), p.file());
                    if (prev != null) throw new IllegalArgumentException(p.file() + ": anchor \"" + e.key() + "\" is also in " + prev);
                    w.entry(e.key(), e.raw());
                    written++;
                }
                if (p.meta() != null) {
                    skipped += p.meta().path("anchors_skipped").asInt();
                    for (JsonNode s : p.meta().path("skipped")) skippedList.add(s);
                }
            }
            if (allMeta) {
                ObjectNode meta = parts.get(0).meta().deepCopy();
                ((ObjectNode) meta.get("settings")).put("shard", "merged from " + parts.get(0).count());
                meta.put("anchors_written", written);
                meta.put("anchors_skipped", skipped);
                meta.set("skipped", skippedList);
                ArrayNode from = meta.putArray("merged_from");
                for (Part p : parts) from.add(p.file().toString());
                SftRun.writeJson(SftRun.metaPath(out), meta);
            }
            w.commit();
        }
        return written;
    }

    private static ObjectNode settingsWithoutShard(ObjectNode meta) {
        ObjectNode s = ((ObjectNode) meta.get("settings")).deepCopy();
        s.remove("shard");
        return s;
    }
}
