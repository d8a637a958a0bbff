package org.leverplus.clip;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leverplus.io.JsonSupport;
import org.leverplus.vlm.model.ModelOptions;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.*;

/**
 * The CLIP forward against transformers itself (5.18; tools/clip_transformers_goldens.py model): tiny snapshots written
 * by save_pretrained in every supported file form (F32, sharded BF16 and F32, F16, the two single-tower layouts),
 * quick_gelu and gelu, both end-of-text rules, several image/patch sizes; plus negative controls: each classic porting
 * bug must break the match.
 */
class ClipModelTest {
    static final double TOLERANCE = 1e-4;
    static Path tiny;
    static JsonNode golden;
    static float[] pixels;
    static int[][] ids;

    @BeforeAll static void fixtures() throws Exception {
        tiny = Path.of(ClipModelTest.class.getResource("/org/leverplus/clip/tiny").toURI());
        golden = JsonSupport.mapper().readTree(tiny.resolve("goldens.json").toFile());
        JsonNode px = golden.get("pixel_values");
        pixels = new float[px.size()];
        for (int i = 0; i < pixels.length; i++) pixels[i] = (float) px.get(i).doubleValue();
        JsonNode id = golden.get("input_ids");
        ids = new int[id.size()][];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = new int[id.get(i).size()];
            for (int j = 0; j < ids[i].length; j++) ids[i][j] = id.get(i).get(j).intValue();
        }
    }

    /** max |got - want| / max |want| over the whole matrix. */
    static double relErr(float[][] got, JsonNode want) {
        double num = 0, den = 0;
        assertEquals(want.size(), got.length);
        for (int i = 0; i < got.length; i++) {
            assertEquals(want.get(i).size(), got[i].length);
            for (int j = 0; j < got[i].length; j++) {
                double w = want.get(i).get(j).doubleValue();
                num = Math.max(num, Math.abs(got[i][j] - w));
                den = Math.max(den, Math.abs(w));
            }
        }
        return num / den;
    }

    static float[] floats(JsonNode a) {
        float[] out = new float[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = (float) a.get(i).doubleValue();
        return out;
    }

    static int[] ints(JsonNode a) {
        int[] out = new int[a.size()];
        for (int i = 0; i < out.length; i++) out[i] = a.get(i).intValue();
        return out;
    }

    @Test void endOfTextPositionsAreTheOnesTransformersPooled() throws Exception {
        record Case(String dir, JsonNode g) {}
        for (Case c : new Case[]{new Case("full-f32", golden.get("quick")), new Case("text-gelu", golden.get("text_gelu")),
                new Case("full-gelu-p14-sharded", golden.get("models").get("full-gelu-p14-sharded")),
                new Case("text-eos-default", golden.get("models").get("text-eos-default"))})
            try (ClipModel m = load(c.dir(), EnumSet.noneOf(ClipModel.Fault.class))) {
                assertArrayEquals(ints(c.g().get("eos_positions")), m.textTower().eosPositions(ids), c.dir());
            }
    }

    @Test void moreGeometriesGeluTheRealEosIdAndAConfigWithoutEosTokenId() throws Exception {
        JsonNode g = golden.get("models").get("full-gelu-p14-sharded");
        try (ClipModel m = load("full-gelu-p14-sharded", EnumSet.noneOf(ClipModel.Fault.class))) {
            assertEquals(ClipConfig.Activation.GELU, m.config().vision().act());
            assertEquals(99, m.config().text().eosTokenId());
            ClipModel.Output img = m.encodeImages(floats(g.get("pixel_values")), 2), txt = m.encodeText(ids);
            assertMatches(img.pooled(), g.get("vision_pooled"), "p14 vision pooled");
            assertMatches(img.embeds(), g.get("image_embeds"), "p14 image_embeds");
            assertMatches(txt.pooled(), g.get("text_pooled"), "p14 text pooled");
            assertMatches(txt.embeds(), g.get("text_embeds"), "p14 text_embeds");
        }
        g = golden.get("models").get("vision-p4-eps6");
        try (ClipModel m = load("vision-p4-eps6", EnumSet.noneOf(ClipModel.Fault.class))) {
            assertEquals(26, m.config().vision().positions());
            ClipModel.Output img = m.encodeImages(floats(g.get("pixel_values")), 2);
            assertMatches(img.pooled(), g.get("vision_pooled"), "p4 vision pooled");
            assertMatches(img.embeds(), g.get("image_embeds"), "p4 image_embeds");
        }
        g = golden.get("models").get("text-eos-default");
        try (ClipModel m = load("text-eos-default", EnumSet.noneOf(ClipModel.Fault.class))) {
            assertEquals(ClipConfig.DEFAULT_EOS_TOKEN_ID, m.config().text().eosTokenId(), "no eos_token_id key: transformers' default");
            ClipModel.Output txt = m.encodeText(ids);
            assertMatches(txt.pooled(), g.get("text_pooled"), "eos-default text pooled");
            assertMatches(txt.embeds(), g.get("text_embeds"), "eos-default text_embeds");
        }
    }

    static ClipModel load(String dir, Set<ClipModel.Fault> faults) throws Exception {
        return ClipModel.load(ClipSnapshot.open(tiny.resolve(dir)), ModelOptions.defaults(), faults);
    }

    static void assertMatches(float[][] got, JsonNode want, String what) {
        double e = relErr(got, want);
        assertTrue(e < TOLERANCE, what + ": relative error " + e);
    }

    @Test void fullModelMatchesTheReferenceInF32AndShardedBf16() throws Exception {
        JsonNode g = golden.get("quick");
        for (String dir : new String[]{"full-f32", "full-bf16"}) {
            try (ClipModel m = load(dir, EnumSet.noneOf(ClipModel.Fault.class))) {
                ClipModel.Output img = m.encodeImages(pixels, 2), txt = m.encodeText(ids);
                assertMatches(img.pooled(), g.get("vision_pooled"), dir + " vision pooled");
                assertMatches(img.embeds(), g.get("image_embeds"), dir + " image_embeds");
                assertMatches(txt.pooled(), g.get("text_pooled"), dir + " text pooled");
                assertMatches(txt.embeds(), g.get("text_embeds"), dir + " text_embeds");
                // transformers given CLIPProcessor's attention mask (0 after the end token): the same, so Lever needs none
                assertMatches(txt.embeds(), g.get("text_embeds_with_attention_mask"), dir + " text_embeds vs transformers with attention_mask");
                float[][] sel = {ClipModel.selectorEmbedding(img.embeds()[0], txt.embeds()[0]), ClipModel.selectorEmbedding(img.embeds()[1], txt.embeds()[1])};
                assertMatches(sel, g.get("selector"), dir + " selector");
            }
        }
    }

    @Test void singleTowerSnapshotsInF16AndWithGeluAndTheFirstMatchPoolingRule() throws Exception {
        try (ClipModel m = load("vision-f16", EnumSet.noneOf(ClipModel.Fault.class))) {
            assertMatches(m.encodeImages(pixels, 2).embeds(), golden.get("quick").get("image_embeds"), "vision-only F16");
            assertThrows(IllegalStateException.class, () -> m.encodeText(ids));
        }
        try (ClipModel m = load("text-gelu", EnumSet.noneOf(ClipModel.Fault.class))) {
            assertEquals(98, m.config().text().eosTokenId());
            ClipModel.Output o = m.encodeText(ids);
            assertMatches(o.pooled(), golden.get("text_gelu").get("text_pooled"), "text-only gelu pooled");
            assertMatches(o.embeds(), golden.get("text_gelu").get("text_embeds"), "text-only gelu embeds");
            assertThrows(IllegalStateException.class, () -> m.encodeImages(pixels, 2));
        }
    }

    @Test void everyClassicPortingBugBreaksTheMatch() throws Exception {
        JsonNode g = golden.get("quick");
        record Control(ClipModel.Fault fault, boolean vision) {}
        for (Control c : new Control[]{new Control(ClipModel.Fault.NO_PRE_LAYRNORM, true), new Control(ClipModel.Fault.SWAP_ACTIVATION, true),
                new Control(ClipModel.Fault.SWAP_ACTIVATION, false), new Control(ClipModel.Fault.NO_CAUSAL_MASK, false),
                new Control(ClipModel.Fault.POOL_LAST_POSITION, false)}) {
            try (ClipModel m = load("full-f32", EnumSet.of(c.fault()))) {
                double e = c.vision() ? relErr(m.encodeImages(pixels, 2).embeds(), g.get("image_embeds")) : relErr(m.encodeText(ids).embeds(), g.get("text_embeds"));
                assertTrue(e > 10 * TOLERANCE, c + " should break the match (10x the tolerance) but the relative error is only " + e);
            }
        }
        // the two end-of-text rules pick different positions on these ids (row 0: argmax -> 5, first 98 -> 3)
        try (ClipModel m = load("text-gelu", EnumSet.noneOf(ClipModel.Fault.class)); ClipModel q = load("full-f32", EnumSet.noneOf(ClipModel.Fault.class))) {
            assertArrayEquals(new int[]{3, 1, 14}, m.textTower().eosPositions(ids));
            assertArrayEquals(new int[]{5, 15, 2}, q.textTower().eosPositions(ids));
        }
    }

    @Test void strictLoadingNamesMissingUnexpectedAndMisshapenTensors(@TempDir Path tmp) throws Exception {
        Path d = tmp.resolve("s");
        Files.createDirectories(d);
        Files.copy(tiny.resolve("full-f32/model.safetensors"), d.resolve("model.safetensors"));
        ObjectNode cfg = (ObjectNode) JsonSupport.mapper().readTree(tiny.resolve("full-f32/config.json").toFile());
        cfg.put("projection_dim", 16);
        Files.writeString(d.resolve("config.json"), cfg.toString());
        Exception e = assertThrows(IllegalStateException.class, () -> ClipModel.load(ClipSnapshot.open(d), ModelOptions.defaults()));
        assertTrue(e.getMessage().contains("shape mismatch") && e.getMessage().contains("text_projection.weight") && e.getMessage().contains("[16, 32]"), e.getMessage());
        // a vision-only file under a full-model config: the text tower is missing
        Files.copy(tiny.resolve("vision-f16/model.safetensors"), d.resolve("model.safetensors"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.copy(tiny.resolve("full-f32/config.json"), d.resolve("config.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        e = assertThrows(IllegalStateException.class, () -> ClipModel.load(ClipSnapshot.open(d), ModelOptions.defaults()));
        assertTrue(e.getMessage().contains("missing") && e.getMessage().contains("text_model."), e.getMessage());
        // a full file under a text-only config: the vision tower is unexpected
        Files.copy(tiny.resolve("full-f32/model.safetensors"), d.resolve("model.safetensors"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        Files.copy(tiny.resolve("text-gelu/config.json"), d.resolve("config.json"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        e = assertThrows(IllegalStateException.class, () -> ClipModel.load(ClipSnapshot.open(d), ModelOptions.defaults()));
        assertTrue(e.getMessage().contains("unexpected") && e.getMessage().contains("vision_model."), e.getMessage());
        // an unknown activation is a config error naming the key
        cfg.put("projection_dim", 24);
        ((ObjectNode) cfg.get("text_config")).put("hidden_act", "relu");
        Files.writeString(d.resolve("config.json"), cfg.toString());
        e = assertThrows(IllegalArgumentException.class, () -> ClipSnapshot.open(d).config());
        assertTrue(e.getMessage().contains("hidden_act"), e.getMessage());
    }
}
