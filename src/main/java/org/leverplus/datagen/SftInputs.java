package org.leverplus.datagen;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.leverplus.data.VqaDataset;
import org.leverplus.data.VqaRecord;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code lever generate sft} reads besides the snapshot: the candidate pools and the dataset items. Kept in one
 * class on purpose (the shared dataset options of {@code lever sample}/{@code lever embed} can replace it).
 *
 * <ul>
 *   <li>Pools (spec 3.2, the file {@code lever sample} writes): {@code {"<anchor id>": [candidate ids...], ...}}; the
 *       keys are the anchors, in file order.</li>
 *   <li>Items, either the official files (spec 2: questions + annotations, sorted by {@code question_id}, the row
 *       index being the global id; images {@code COCO_{split}2014_{image_id:012d}.jpg} under an image folder), or
 *       JSON Lines {@code {"id": 7, "image": "a.jpg", "question": "...", "answer": "..."}} ({@code answers}, a list,
 *       may replace {@code answer}: its most frequent entry is used; {@code id} defaults to the line's index among
 *       non-blank lines; image paths are relative to the file).</li>
 * </ul>
 */
public final class SftInputs {
    private SftInputs() {}

    /** Items by global id. */
    public interface Items {
        /** The item with this id, or null. */
        SftItem get(int id);

        int size();

        /** For error messages and the meta file. */
        String describe();
    }

    /** Reads a pools file: anchors in file order, each with its candidate ids as written. */
    public static LinkedHashMap<Integer, int[]> readPools(Path file) throws IOException {
        ObjectMapper json = new ObjectMapper().enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);
        JsonNode root;
        try {
            root = json.readTree(file.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalArgumentException(file + ": not a valid pools file: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject())
            throw new IllegalArgumentException(file + ": expected a JSON object {\"<anchor id>\": [candidate ids]} but found "
                    + (root == null ? "nothing" : root.getNodeType().toString().toLowerCase(java.util.Locale.ROOT)));
        LinkedHashMap<Integer, int[]> pools = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = root.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> e = it.next();
            int anchor;
            try {
                anchor = Integer.parseInt(e.getKey());
            } catch (NumberFormatException ex) {
                throw new IllegalArgumentException(file + ": anchor \"" + e.getKey() + "\": expected an integer anchor id as key");
            }
            if (anchor < 0) throw new IllegalArgumentException(file + ": anchor \"" + e.getKey() + "\": anchor ids are >= 0");
            JsonNode v = e.getValue();
            if (!v.isArray()) throw new IllegalArgumentException(file + ": anchor \"" + e.getKey() + "\": expected an array of candidate ids but found " + v);
            int[] ids = new int[v.size()];
            for (int i = 0; i < ids.length; i++) {
                JsonNode c = v.get(i);
                if (!c.isIntegralNumber() || !c.canConvertToInt() || c.intValue() < 0)
                    throw new IllegalArgumentException(file + ": anchor \"" + e.getKey() + "\": [" + i + "]: expected a candidate id (integer >= 0) but found " + c);
                ids[i] = c.intValue();
            }
            pools.put(anchor, ids);
        }
        return pools;
    }

    /** Items from JSON Lines (see the class comment). */
    public static Items readItems(Path file) throws IOException {
        ObjectMapper json = new ObjectMapper();
        Map<Integer, SftItem> items = new HashMap<>();
        Path dir = file.toAbsolutePath().getParent();
        int line = 0, index = 0;
        try (BufferedReader r = Files.newBufferedReader(file)) {
            for (String s; (s = r.readLine()) != null; ) {
                line++;
                if (s.isBlank()) continue;
                String where = file + " line " + line;
                JsonNode n;
                try {
                    n = json.readTree(s);
                } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
                    throw new IllegalArgumentException(where + ": not valid JSON: " + e.getOriginalMessage());
                }
                if (!n.isObject()) throw new IllegalArgumentException(where + ": expected a JSON object");
                int id = index++;
                JsonNode idNode = n.get("id");
                if (idNode != null && !idNode.isNull()) {
                    if (idNode.isIntegralNumber() && idNode.canConvertToInt()) id = idNode.intValue();
                    else if (idNode.isTextual() && idNode.textValue().matches("\\d{1,9}")) id = Integer.parseInt(idNode.textValue());
                    else throw new IllegalArgumentException(where + ": id: expected an integer id but found " + idNode);
                }
                String image = text(n, "image", where);
                String question = text(n, "question", where);
                String answer;
                if (n.hasNonNull("answer")) answer = text(n, "answer", where);
                else if (n.get("answers") != null && n.get("answers").isArray() && !n.get("answers").isEmpty()) {
                    List<String> answers = new ArrayList<>();
                    for (JsonNode a : n.get("answers")) {
                        JsonNode t = a.isObject() ? a.get("answer") : a;
                        if (t == null || !t.isTextual()) throw new IllegalArgumentException(where + ": answers: expected strings (or {\"answer\": ...} objects) but found " + a);
                        answers.add(t.textValue());
                    }
                    answer = VqaDataset.mostFrequent(answers);
                } else throw new IllegalArgumentException(where + ": missing field \"answer\" (or a non-empty \"answers\" list)");
                SftItem prev = items.put(id, new SftItem(id, dir.resolve(image), question, answer));
                if (prev != null) throw new IllegalArgumentException(where + ": id " + id + " appears twice");
            }
        }
        String desc = "items " + file.toAbsolutePath().normalize();
        return new Items() {
            @Override public SftItem get(int id) { return items.get(id); }

            @Override public int size() { return items.size(); }

            @Override public String describe() { return desc; }
        };
    }

    /** Items from the official files of {@code kind}/{@code split} in {@code dataDir}, images under {@code images}. */
    public static Items official(VqaDataset.Kind kind, Path dataDir, String split, Path images) throws IOException {
        VqaDataset ds = VqaDataset.load(kind, dataDir, split);
        String desc = kind.name().toLowerCase(java.util.Locale.ROOT) + " " + split + " (" + dataDir.toAbsolutePath().normalize() + ", images " + images.toAbsolutePath().normalize() + ")";
        return new Items() {
            @Override public SftItem get(int id) {
                if (id < 0 || id >= ds.size()) return null;
                VqaRecord r = ds.get(id);
                return new SftItem(id, r.imagePath(images), r.question(), r.answer());
            }

            @Override public int size() { return ds.size(); }

            @Override public String describe() { return desc; }
        };
    }

    private static String text(JsonNode n, String field, String where) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) throw new IllegalArgumentException(where + ": missing field \"" + field + "\"");
        if (!v.isTextual()) throw new IllegalArgumentException(where + ": " + field + ": expected a string but found " + v);
        return v.textValue();
    }
}
