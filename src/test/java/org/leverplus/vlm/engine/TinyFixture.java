package org.leverplus.vlm.engine;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.bytedeco.pytorch.Tensor;
import org.leverplus.io.Safetensors;
import org.leverplus.io.SafetensorsFile;
import org.leverplus.vlm.model.ModelDims;
import org.leverplus.vlm.model.ModelOptions;
import org.leverplus.vlm.model.Qwen25VlModel;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The golden fixture of tools/qwen25vl_reference.py (plain PyTorch, float32): a tiny Qwen2.5-VL snapshot in both key
 * layouts, its expected tensors and the prompts they were computed for.
 */
public final class TinyFixture implements AutoCloseable {
    public static final Path DIR = Path.of("src/test/resources/vlm/tiny");
    public static final int IM_END = 2002, ENDOFTEXT = 2000;

    public final JsonNode meta;
    private final SafetensorsFile goldens;
    private final Map<String, ImageInput> images = new HashMap<>();

    public TinyFixture() {
        try {
            meta = new ObjectMapper().readTree(DIR.resolve("goldens.json").toFile());
            goldens = Safetensors.open(DIR.resolve("goldens.safetensors"));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        meta.get("grids").fields().forEachRemaining(e -> {
            int[] g = new int[3];
            for (int i = 0; i < 3; i++) g[i] = e.getValue().get(i).asInt();
            images.put(e.getKey(), new ImageInput("img-" + e.getKey(), golden("pixel_values." + e.getKey()), g));
        });
    }

    /** The fixture's sizes, written out (must equal what snapshot-legacy/config.json says). */
    public static ModelDims dims() {
        return new ModelDims(32, 64, 2, 4, 2, 1e-6, 1e6, List.of(2, 1, 1), 2048, true, List.of(IM_END), 2006, 2003,
                new ModelDims.Vision(4, 32, 48, 2, 32, 14, 2, 2, 56, List.of(1, 3), 3));
    }

    public static Qwen25VlModel load(String layout, ModelOptions options) {
        try {
            return Qwen25VlModel.load(org.leverplus.vlm.Qwen25VlSnapshot.open(DIR.resolve(layout)), options);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A golden tensor (zero-copy view; valid while this fixture is open). */
    public Tensor golden(String name) { return goldens.get(name); }

    public ImageInput image(String name) { return images.get(name); }

    /** Appends image {@code name} to a prompt being built (vision start, its image tokens, vision end); returns it. */
    public ImageInput appendImage(List<Integer> ids, String name) {
        ImageInput in = image(name);
        ids.add(2003);
        for (int k = 0; k < in.tokens(2); k++) ids.add(2006);
        ids.add(2004);
        return in;
    }

    /** Appends 2-5 random text tokens (ids 20-1919) to a prompt being built. */
    public static void appendRandomText(List<Integer> ids, java.util.Random rnd) {
        int n = 2 + rnd.nextInt(4);
        for (int k = 0; k < n; k++) ids.add(20 + rnd.nextInt(1900));
    }

    /** Prompt i of goldens.json "prompts" (teacher-forced, with answer span). */
    public ScoreRequest scoreRequest(int i) {
        JsonNode p = meta.get("prompts").get(i);
        return new ScoreRequest(prompt(p), p.get("answer_start").asInt(), p.get("answer_end").asInt());
    }

    public int prompts() { return meta.get("prompts").size(); }

    public JsonNode generation() { return meta.get("generation").get(0); }

    public Prompt prompt(JsonNode p) {
        int[] ids = ints(p.get("input_ids"));
        List<ImageInput> im = new ArrayList<>();
        for (JsonNode n : p.get("images")) im.add(images.get(n.asText()));
        return new Prompt(ids, im);
    }

    public static int[] ints(JsonNode arr) {
        int[] out = new int[arr.size()];
        for (int i = 0; i < out.length; i++) out[i] = arr.get(i).asInt();
        return out;
    }

    @Override public void close() { goldens.close(); }
}
