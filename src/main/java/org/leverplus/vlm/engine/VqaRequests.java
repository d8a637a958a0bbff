package org.leverplus.vlm.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.leverplus.vlm.Qwen25VlSnapshot;
import org.leverplus.vlm.image.QwenImageProcessor;
import org.leverplus.vlm.text.IcdPromptBuilder;
import org.leverplus.vlm.text.PromptTokens;
import org.leverplus.vlm.text.QwenTokenizer;
import org.leverplus.vlm.text.VqaItem;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads Lever-Plus-level request files (JSON Lines) and turns them into prompts with the snapshot's tokenizer, the
 * Lever-Plus prompt layout ({@link IcdPromptBuilder#leverPlus}) and the Qwen image pipeline:
 * <pre>{@code
 * {"id": "q1", "icds": [{"image": "a.png", "question": "What is on the plate?", "answer": "pizza"}],
 *  "query": {"image": "q.png", "question": "What color is the bus?"}, "answer": "red"}
 * }</pre>
 * Image paths are relative to the request file. {@code answer} is required for scoring (teacher forcing, exact answer
 * span) and ignored for generation. An image's cache key is the SHA-256 of its file bytes plus the preprocessing
 * settings, so the same picture used by many prompts goes through the vision tower once.
 */
public final class VqaRequests implements RequestSource {
    private record Item(Path image, String question, String answer) {}

    private record Line(String id, List<Item> icds, Item query, String answer, String where) {}

    private final List<Line> lines = new ArrayList<>();
    private final boolean teacherForced;
    private final QwenTokenizer tokenizer;
    private final IcdPromptBuilder builder;
    private final ImageInputs images;

    public VqaRequests(Path file, Qwen25VlSnapshot snapshot, boolean teacherForced) throws IOException {
        this.teacherForced = teacherForced;
        ObjectMapper json = new ObjectMapper();
        int n = 0;
        try (BufferedReader r = Files.newBufferedReader(file)) {
            for (String s; (s = r.readLine()) != null; ) {
                n++;
                if (s.isBlank()) continue;
                String where = file + " line " + n;
                try {
                    lines.add(parse(json.readTree(s), file, where, n));
                } catch (IOException | RuntimeException e) {
                    throw new IllegalArgumentException(where + ": " + org.leverplus.io.JsonSupport.describe(e), e);
                }
            }
        }
        this.tokenizer = QwenTokenizer.load(snapshot.tokenizerJson());
        this.builder = IcdPromptBuilder.leverPlus(tokenizer);
        this.images = new ImageInputs(new QwenImageProcessor(snapshot.preprocessorConfig()));
    }

    private Line parse(JsonNode n, Path file, String where, int line) {
        String id = n.hasNonNull("id") ? n.get("id").asText() : String.valueOf(line);
        List<Item> icds = new ArrayList<>();
        if (n.has("icds")) for (JsonNode i : n.get("icds")) icds.add(item(i, file, "icds", true));
        JsonNode q = n.get("query");
        if (q == null || !q.isObject()) throw new IllegalArgumentException("missing object field \"query\"");
        String answer = n.hasNonNull("answer") ? n.get("answer").asText() : null;
        if (teacherForced && answer == null) throw new IllegalArgumentException("missing field \"answer\" (scoring needs the answer to score)");
        return new Line(id, icds, item(q, file, "query", false), answer, where);
    }

    private static Item item(JsonNode n, Path file, String field, boolean needAnswer) {
        for (String f : needAnswer ? new String[]{"image", "question", "answer"} : new String[]{"image", "question"})
            if (!n.hasNonNull(f)) throw new IllegalArgumentException(field + ": missing field \"" + f + "\"");
        return new Item(file.toAbsolutePath().getParent().resolve(n.get("image").asText()), n.get("question").asText(),
                needAnswer ? n.get("answer").asText() : null);
    }

    @Override public int size() { return lines.size(); }

    @Override public List<Entry> load(int from, int to) throws IOException {
        Map<Path, ImageInput> images = new HashMap<>();
        List<Entry> out = new ArrayList<>();
        for (Line l : lines.subList(from, to)) {
            List<VqaItem> icds = new ArrayList<>();
            List<ImageInput> ims = new ArrayList<>();
            for (Item i : l.icds()) {
                ImageInput im = this.images.of(images, i.image(), l.where());
                ims.add(im);
                icds.add(new VqaItem(new org.leverplus.vlm.image.ImageGrid(im.grid()[0], im.grid()[1], im.grid()[2]), i.question(), i.answer()));
            }
            ImageInput qi = this.images.of(images, l.query().image(), l.where());
            ims.add(qi);
            VqaItem query = VqaItem.query(new org.leverplus.vlm.image.ImageGrid(qi.grid()[0], qi.grid()[1], qi.grid()[2]), l.query().question());
            PromptTokens pt = teacherForced ? builder.teacherForced(icds, query, l.answer()) : builder.generation(icds, query);
            out.add(new Entry(l.id(), new Prompt(pt.ids(), ims), pt.answerStart(), pt.answerEnd(), l.where()));
        }
        return out;
    }

    /** The tokenizer (for decoding generations). */
    public QwenTokenizer tokenizer() { return tokenizer; }

    @Override public void close() { tokenizer.close(); }
}
