package org.leverplus.clip;

import com.fasterxml.jackson.databind.JsonNode;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leverplus.io.JsonSupport;
import org.leverplus.vlm.model.ModelOptions;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Image preprocessing at a small size against transformers (CLIPImageProcessorPil), the tokenizer pipeline, and tiny snapshots in every geometry and dtype. */
class ClipToolsTest {
    static final Path IMAGES = Path.of("src/test/resources/org/leverplus/vlm/image");

    @Test void preprocessingAtASmallSizeEqualsTransformersWithinOneLevel() throws Exception {
        JsonNode g = JsonSupport.mapper().readTree(getClass().getResourceAsStream("preprocess-golden.json"));
        int size = g.get("size").intValue(), crop = g.get("crop").intValue();
        ClipImageProcessor.Config d = ClipImageProcessor.Config.defaults();
        ClipImageProcessor p = new ClipImageProcessor(new ClipImageProcessor.Config(size, crop, crop, d.rescaleFactor(), d.mean(), d.std(), true, true));
        double oneLevel = 1.0 / 255 / 0.26130258 * 1.001;
        for (var e : (Iterable<Map.Entry<String, JsonNode>>) g.get("images")::fields) {
            float[] got = new float[p.size()];
            p.process(IMAGES.resolve(e.getKey()), got, 0);
            JsonNode want = e.getValue().get("pixel_values");
            assertEquals(want.size(), got.length);
            double worst = 0;
            int exact = 0;
            for (int i = 0; i < got.length; i++) {
                double diff = Math.abs(got[i] - want.get(i).doubleValue());
                worst = Math.max(worst, diff);
                if (got[i] == want.get(i).floatValue()) exact++;
            }
            assertTrue(worst <= oneLevel, e.getKey() + ": worst difference " + worst + " exceeds one 8-bit level " + oneLevel);
            if (e.getKey().endsWith(".png")) assertEquals(got.length, exact, e.getKey() + ": a PNG decodes exactly, so every float must be equal");
        }
    }

    @Test void tinySnapshotsInBothGeometriesAndDtypesLoadAndRun(@TempDir Path tmp) throws Exception {
        for (ClipTinySnapshot.Geometry geo : ClipTinySnapshot.Geometry.values())
            for (ScalarType dt : new ScalarType[]{ScalarType.Float, ScalarType.BFloat16}) {
                Path dir = tmp.resolve(geo + "-" + dt);
                ClipTinySnapshot.write(dir, geo, dt, 3, false);
                ClipSnapshot s = ClipSnapshot.open(dir);
                assertEquals(geo.patch, s.config().vision().patchSize());
                ClipImageProcessor proc = new ClipImageProcessor(ClipImageProcessor.Config.read(dir.resolve(ClipImageProcessor.FILE)));
                try (ClipModel m = ClipModel.load(s, ModelOptions.defaults());
                     ClipTokenizer tok = ClipTokenizer.load(dir.resolve("tokenizer.json"), 77)) {
                    float[] px = new float[proc.size()];
                    proc.process(IMAGES.resolve("rgb-84x56.png"), px, 0);
                    float[] img = m.encodeImages(px, 1).embeds()[0];
                    float[] txt = m.encodeText(new int[][]{tok.encode("a red bus")}).embeds()[0];
                    assertEquals(geo.projection, img.length);
                    float[] sel = ClipModel.selectorEmbedding(img, txt);
                    double n = 0;
                    for (float v : sel) n += v * v;
                    assertEquals(1.0, n, 1e-5);
                }
            }
        assertThrows(java.nio.file.FileAlreadyExistsException.class,
                () -> ClipTinySnapshot.write(tmp.resolve("B32-Float"), ClipTinySnapshot.Geometry.B32, ScalarType.Float, 3, false));
    }

    @Test void tokenizerAppliesClipsNormalisationAndCountsTruncation(@TempDir Path tmp) throws Exception {
        ClipTinySnapshot.write(tmp, ClipTinySnapshot.Geometry.B32, ScalarType.Float, 1, false);
        try (ClipTokenizer tok = ClipTokenizer.load(tmp.resolve("tokenizer.json"), 77)) {
            // lower-casing and whitespace runs: the same ids
            assertArrayEquals(tok.encode("a photo of two dogs"), tok.encode("  A Photo\tof\n\n TWO   dogs "));
            // byte-level with word ends: "a" = 'a' + </w> = 256 + 97; start/end tokens around
            assertArrayEquals(new int[]{512, 256 + 'a', 513}, tok.encode("a"));
            // "it's" splits as it + 's (CLIP's pattern); punctuation runs are their own word
            assertArrayEquals(new int[]{512, 'i', 256 + 't', '\'', 256 + 's', 'o', 256 + 'k', 256 + '!', 513}, tok.encode("It's ok!"));
            assertEquals(0, tok.truncated());
            int[] longIds = tok.encode("x ".repeat(200));
            assertEquals(77, longIds.length);
            assertEquals(513, longIds[76]);
            assertEquals(1, tok.truncated());
            int[][] batch = tok.encodeBatchPadded(List.of("a", "a b c"));
            assertArrayEquals(new int[]{512, 256 + 'a', 513, 513, 513}, batch[0]);   // padded with <|endoftext|>
        }
    }
}
