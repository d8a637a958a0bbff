package org.leverplus.data;

import com.fasterxml.jackson.databind.JsonNode;
import org.leverplus.io.JsonSupport;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The items of a dataset in global-id order (spec 2: sorted by question id; the row index is the global id), from
 * either source every stage command accepts: the official VQAv2/OK-VQA question + annotation files with the COCO
 * image folder, or a JSON Lines file of {@code {"id", "image", "question", "answer"?, "answers"?}} (integer ids,
 * image paths relative to the file) for users with their own data.
 */
public final class Items {
    private Items() {}

    /** From the official files; images are {@code cocoRoot/COCO_{split}2014_{image_id:012d}.jpg}. */
    public static List<DatasetItem> fromVqa(Path questions, Path annotations, String split, Path cocoRoot) throws IOException {
        VqaDataset ds = VqaDataset.load(questions, annotations, split);
        List<DatasetItem> out = new ArrayList<>(ds.size());
        for (VqaRecord r : ds.records())
            out.add(new DatasetItem(r.idx(), r.questionId(), r.imagePath(cocoRoot), r.question(), r.answer(), r.answers()));
        return out;
    }

    /** From an items file; errors name the file and line. */
    public static List<DatasetItem> fromJsonl(Path file) throws IOException {
        Path base = file.toAbsolutePath().getParent();
        List<DatasetItem> raw = new ArrayList<>();
        Set<Long> seen = new HashSet<>();
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            String line;
            int n = 0;
            while ((line = in.readLine()) != null) {
                n++;
                if (line.isBlank()) continue;
                String where = file + ": line " + n;
                JsonNode o;
                try {
                    o = JsonSupport.mapper().readTree(line);
                } catch (IOException e) {
                    throw new IllegalArgumentException(where + ": not valid JSON: " + e.getMessage());
                }
                if (o == null || !o.isObject()) throw new IllegalArgumentException(where + ": expected a JSON object");
                JsonNode id = o.get("id"), img = o.get("image"), q = o.get("question");
                if (id == null || !id.canConvertToLong() || !id.isIntegralNumber())
                    throw new IllegalArgumentException(where + ": \"id\": expected an integer");
                if (img == null || !img.isTextual()) throw new IllegalArgumentException(where + ": \"image\": expected a path string");
                if (q == null || !q.isTextual()) throw new IllegalArgumentException(where + ": \"question\": expected a string");
                if (!seen.add(id.asLong())) throw new IllegalArgumentException(where + ": id " + id.asLong() + " appears twice");
                List<String> answers = new ArrayList<>();
                JsonNode as = o.get("answers");
                if (as != null) {
                    if (!as.isArray()) throw new IllegalArgumentException(where + ": \"answers\": expected a list of strings");
                    for (JsonNode a : as) answers.add(a.isTextual() ? a.asText() : a.path("answer").asText());
                }
                JsonNode a = o.get("answer");
                String answer = a != null && a.isTextual() ? a.asText() : answers.isEmpty() ? null : VqaDataset.mostFrequent(answers);
                raw.add(new DatasetItem(-1, id.asLong(), base.resolve(img.asText()), q.asText(), answer, List.copyOf(answers)));
            }
        }
        raw.sort(Comparator.comparingLong(DatasetItem::sourceId));
        List<DatasetItem> out = new ArrayList<>(raw.size());
        for (int i = 0; i < raw.size(); i++) {
            DatasetItem r = raw.get(i);
            out.add(new DatasetItem(i, r.sourceId(), r.image(), r.question(), r.answer(), r.answers()));
        }
        return out;
    }
}
