package org.leverplus.vlm.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.bytedeco.pytorch.Tensor;
import org.leverplus.io.Safetensors;
import org.leverplus.io.SafetensorsFile;

import java.io.BufferedReader;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads token-level request files (JSON Lines), one prompt per line:
 * <pre>{@code
 * {"id": "q1", "input_ids": [..], "answer_start": 57, "answer_end": 59,
 *  "images": [{"key": "img-A", "grid": [1, 6, 8], "pixels": "pixels.safetensors", "tensor": "pixel_values.A"}]}
 * }</pre>
 * {@code input_ids} already hold the expanded {@code <|image_pad|>} runs; {@code pixels} names a safetensors file
 * (relative to the request file) holding the image's {@code pixel_values} [t*h*w, 1176] float32 under
 * {@code tensor}. The answer span is needed by {@code score} and ignored by {@code generate}. Files stay open
 * (zero-copy) until {@link #close}.
 */
public final class TokenRequests implements RequestSource {
    private final Path file;
    private final List<Entry> entries = new ArrayList<>();
    private final Map<Path, SafetensorsFile> pixelFiles = new HashMap<>();

    public TokenRequests(Path file) throws IOException {
        this.file = file;
        ObjectMapper json = new ObjectMapper();
        int line = 0;
        try (BufferedReader r = Files.newBufferedReader(file)) {
            for (String s; (s = r.readLine()) != null; ) {
                line++;
                if (s.isBlank()) continue;
                try {
                    entries.add(parse(json.readTree(s), line));
                } catch (IOException | RuntimeException e) {
                    throw new IllegalArgumentException(file + " line " + line + ": " + org.leverplus.io.JsonSupport.describe(e), e);
                }
            }
        }
    }

    private Entry parse(JsonNode n, int line) throws IOException {
        String id = n.hasNonNull("id") ? n.get("id").asText() : String.valueOf(line);
        JsonNode ids = require(n, "input_ids");
        int[] tokens = new int[ids.size()];
        if (!ids.isArray()) throw new IllegalArgumentException("input_ids: expected an array of token ids");
        for (int i = 0; i < tokens.length; i++) {
            JsonNode t = ids.get(i);
            if (!t.isIntegralNumber() || !t.canConvertToInt() || t.intValue() < 0)
                throw new IllegalArgumentException("input_ids[" + i + "]: expected a token id (an integer >= 0) but found " + t);
            tokens[i] = t.intValue();
        }
        List<ImageInput> images = new ArrayList<>();
        if (n.has("images")) {
            for (JsonNode im : n.get("images")) {
                JsonNode g = require(im, "grid");
                int[] grid = {g.get(0).asInt(), g.get(1).asInt(), g.get(2).asInt()};
                Path px = file.toAbsolutePath().getParent().resolve(require(im, "pixels").asText());
                SafetensorsFile f = pixelFiles.get(px);
                if (f == null) { f = Safetensors.open(px); pixelFiles.put(px, f); }
                Tensor pv = f.get(require(im, "tensor").asText());
                String key = im.hasNonNull("key") ? im.get("key").asText() : px + "#" + im.get("tensor").asText();
                images.add(new ImageInput(key, pv, grid));
            }
        }
        int as = n.has("answer_start") ? n.get("answer_start").asInt() : -1, ae = n.has("answer_end") ? n.get("answer_end").asInt() : -1;
        return new Entry(id, new Prompt(tokens, images), as, ae, file + " line " + line);
    }

    private static JsonNode require(JsonNode n, String field) {
        JsonNode v = n.get(field);
        if (v == null || v.isNull()) throw new IllegalArgumentException("missing field \"" + field + "\"");
        return v;
    }

    public Path file() { return file; }

    public List<Entry> entries() { return entries; }

    @Override public int size() { return entries.size(); }

    @Override public List<Entry> load(int from, int to) { return entries.subList(from, to); }

    @Override public void close() {
        for (SafetensorsFile f : pixelFiles.values()) f.close();
    }
}
