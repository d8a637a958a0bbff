package org.leverplus.clip;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.leverplus.io.JsonSupport;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;

import static org.junit.jupiter.api.Assertions.*;

/**
 * {@link ClipImageProcessor} at the real size (shortest edge 224, crop 224) against transformers' own
 * {@code CLIPImageProcessorPil} (5.18, Pillow 12.3; tools/clip_transformers_goldens.py preprocess) on files of odd sizes
 * and every mode CLIP meets: RGB, RGBA, L, LA, P (with and without transparency), RGB with a tRNS chunk, bilevel,
 * 16-bit grey, CMYK JPEG, 1x1 and 3x2, 1200x181 and 37x401. The golden stores, per output value, the index of the
 * 8-bit level it comes from (transformers' own value table is in the file too, so the floats compared are
 * transformers' floats). PNGs must be bit-identical; JPEGs, decoded by a different libjpeg than Pillow's, may differ
 * by one 8-bit level on a bounded share of values.
 */
class ClipPreprocessParityTest {
    static final Path BASE = Path.of("src/test/resources/org/leverplus/clip");
    static JsonNode golden;
    static float[][] table;

    @BeforeAll static void read() throws Exception {
        try (InputStream in = new GZIPInputStream(ClipPreprocessParityTest.class.getResourceAsStream("hf/preprocess-golden.json.gz"))) {
            golden = JsonSupport.mapper().readTree(in);
        }
        table = new float[3][256];
        for (int c = 0; c < 3; c++) for (int u = 0; u < 256; u++) table[c][u] = (float) golden.get("table").get(c).get(u).doubleValue();
    }

    static int[] levels(JsonNode image) throws Exception {
        byte[] gz = Base64.getDecoder().decode(image.get("row_deltas_gz_b64").asText());
        byte[] d;
        try (InputStream in = new GZIPInputStream(new ByteArrayInputStream(gz))) {
            d = in.readAllBytes();
        }
        assertEquals(3 * 224 * 224, d.length);
        int[] lv = new int[d.length];
        for (int row = 0; row < 3 * 224; row++) {
            int acc = 0;
            for (int x = 0; x < 224; x++) {
                acc = (acc + (d[row * 224 + x] & 0xff)) & 0xff;
                lv[row * 224 + x] = acc;
            }
        }
        return lv;
    }

    @Test void theValueTableIsTransformers() {
        ClipImageProcessor p = new ClipImageProcessor(ClipImageProcessor.Config.defaults());
        // a 256x1 strip holding every level, as the generator fed transformers (no resize, no crop)
        byte[] rgb = new byte[256 * 3];
        for (int u = 0; u < 256; u++) rgb[3 * u] = rgb[3 * u + 1] = rgb[3 * u + 2] = (byte) u;
        ClipImageProcessor strip = new ClipImageProcessor(new ClipImageProcessor.Config(224, 1, 256, p.config().rescaleFactor(),
                p.config().mean(), p.config().std(), false, false));
        float[] got = strip.process(new org.leverplus.vlm.image.RgbImage(256, 1, rgb));
        for (int c = 0; c < 3; c++) for (int u = 0; u < 256; u++) assertEquals(table[c][u], got[c * 256 + u], "channel " + c + " level " + u);
    }

    @Test void everyImageMatchesTransformers() throws Exception {
        ClipImageProcessor p = new ClipImageProcessor(ClipImageProcessor.Config.defaults());
        List<String> bad = new ArrayList<>();
        int n = 0;
        for (var e : (Iterable<Map.Entry<String, JsonNode>>) golden.get("images")::fields) {
            n++;
            String name = e.getKey();
            int[] lv = levels(e.getValue());
            float[] got = new float[p.size()];
            p.process(BASE.resolve(name).normalize(), got, 0);
            int plane = 224 * 224, off = 0, offByOne = 0;
            for (int i = 0; i < got.length; i++) {
                float want = table[i / plane][lv[i]];
                if (got[i] == want) continue;
                int u = lv[i];
                boolean one = (u > 0 && got[i] == table[i / plane][u - 1]) || (u < 255 && got[i] == table[i / plane][u + 1]);
                if (one) offByOne++; else off++;
            }
            boolean jpeg = name.endsWith(".jpg");
            // JPEG: the JDK's libjpeg 6b vs Pillow's libjpeg-turbo; at most one level, on under 5% of the values
            if (off > 0 || (!jpeg && offByOne > 0) || offByOne > got.length / 20)
                bad.add(name + " (" + e.getValue().get("mode").asText() + "): " + off + " values off by more than one level, " + offByOne + " by one");
        }
        assertTrue(n >= 18, "only " + n + " images");
        assertEquals(List.of(), bad);
    }
}
