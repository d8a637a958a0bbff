package org.leverplus.rlgen;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.leverplus.data.VqaDataset;
import org.leverplus.data.VqaRecord;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The dataset RL generation reads (kept in one small class so that it can be replaced by the shared dataset
 * options): the official questions + annotations files with a COCO image folder, or an items file of JSON Lines
 * {@code {"id", "image", "question", "answer"?, "answers"?}} (images relative to the file). The global id is the row:
 * sorted by question_id for official files, line order (blank lines skipped) for an items file.
 */
public final class GenDataset {
    private final List<GenItem> items;
    private final String split;

    private GenDataset(List<GenItem> items, String split) {
        this.items = List.copyOf(items);
        this.split = split;
    }

    public static GenDataset official(Path questions, Path annotations, String split, Path imageDir) throws IOException {
        VqaDataset d = VqaDataset.load(questions, annotations, split);
        List<GenItem> out = new ArrayList<>(d.size());
        for (VqaRecord r : d.records())
            out.add(new GenItem(r.idx(), r.questionId(), r.imageId(), r.question(), r.imagePath(imageDir), r.answer(),
                    r.answers(), Long.toString(r.questionId())));
        return new GenDataset(out, split);
    }

    public static GenDataset items(Path file, String split) throws IOException {
        ObjectMapper json = new ObjectMapper();
        Path dir = file.toAbsolutePath().getParent();
        List<GenItem> out = new ArrayList<>();
        int line = 0;
        try (BufferedReader r = Files.newBufferedReader(file)) {
            for (String s; (s = r.readLine()) != null; ) {
                line++;
                if (s.isBlank()) continue;
                String where = file + " line " + line;
                JsonNode n;
                try {
                    n = json.readTree(s);
                } catch (IOException e) {
                    throw new IllegalArgumentException(where + ": not valid JSON: " + e.getMessage());
                }
                for (String f : new String[]{"id", "image", "question"})
                    if (!n.hasNonNull(f)) throw new IllegalArgumentException(where + ": missing field \"" + f + "\"");
                List<String> answers = null;
                if (n.has("answers")) {
                    if (!n.get("answers").isArray()) throw new IllegalArgumentException(where + ": \"answers\" must be an array of strings");
                    answers = new ArrayList<>();
                    for (JsonNode a : n.get("answers")) answers.add(a.isObject() ? a.path("answer").asText() : a.asText());
                }
                String answer = n.hasNonNull("answer") ? n.get("answer").asText()
                        : answers != null && !answers.isEmpty() ? VqaDataset.mostFrequent(answers) : null;
                String id = n.get("id").asText();
                Long qid = n.get("id").canConvertToLong() ? n.get("id").asLong() : null;
                out.add(new GenItem(out.size(), qid, null, n.get("question").asText(), dir.resolve(n.get("image").asText()),
                        answer, answers, id));
            }
        }
        if (out.isEmpty()) throw new IllegalArgumentException(file + ": no items");
        return new GenDataset(out, split);
    }

    public int size() { return items.size(); }

    /** The item with global id {@code idx}; a clear error for an unknown id. */
    public GenItem get(int idx) {
        if (idx < 0 || idx >= items.size())
            throw new IllegalArgumentException("unknown id " + idx + ": the dataset has ids 0.." + (items.size() - 1));
        return items.get(idx);
    }

    public String split() { return split; }

    public List<GenItem> items() { return items; }
}
