package org.leverplus.datagen;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.leverplus.data.DatasetItem;
import org.leverplus.data.VqaDataset;
import org.leverplus.data.VqaRecord;

import java.io.IOException;
import java.nio.file.Path;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What {@code lever generate sft} reads besides the snapshot: the candidate pools and the dataset items.
 *
 * <ul>
 *   <li>Pools (spec 3.2, the file {@code lever sample} writes): {@code {"<anchor id>": [candidate ids...], ...}}; the
 *       keys are the anchors, in file order.</li>
 *   <li>Items, either the official files (spec 2: questions + annotations, sorted by {@code question_id}, the row
 *       index being the global id; images {@code COCO_{split}2014_{image_id:012d}.jpg} under an image folder), or
 *       JSON Lines {@code {"id": 7, "image": "a.jpg", "question": "...", "answer": "..."}} ({@code answers}, a list,
 *       may replace {@code answer}: its most frequent entry is used; the global id is the rank in {@code id} order,
 *       as every stage reads items files; image paths are relative to the file).</li>
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

    /**
     * Items from JSON Lines, read by the reader every stage shares ({@link org.leverplus.data.Items#fromJsonl}): the
     * global id is the rank in id order, as for {@code lever embed} and {@code lever sample}. Every item needs an
     * answer to show (SFT scores it on anchors and shows it on candidates).
     */
    public static Items readItems(Path file) throws IOException {
        List<DatasetItem> all = org.leverplus.data.Items.fromJsonl(file);
        SftItem[] items = new SftItem[all.size()];
        for (DatasetItem d : all) {
            if (d.answer() == null)
                throw new IllegalArgumentException(file + ": id " + d.sourceId() + ": missing field \"answer\" (or a non-empty \"answers\" list)");
            items[d.id()] = new SftItem(d.id(), d.image(), d.question(), d.answer());
        }
        String desc = "items " + file.toAbsolutePath().normalize();
        return new Items() {
            @Override public SftItem get(int id) { return id >= 0 && id < items.length ? items[id] : null; }

            @Override public int size() { return items.length; }

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
}
