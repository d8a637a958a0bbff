package org.leverplus.vlm.image;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.leverplus.vlm.PreprocessorConfig;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

/** Java preprocessing against PIL + numpy fixtures (tools/vlm/image-golden.py). */
class ImagePreprocessingTest {
    static PreprocessorConfig config(JsonNode c) {
        PreprocessorConfig d = PreprocessorConfig.defaults();
        return new PreprocessorConfig(c.get("min_pixels").asLong(), c.get("max_pixels").asLong(), d.patchSize(),
                d.temporalPatchSize(), d.mergeSize(), d.imageMean(), d.imageStd(), d.rescaleFactor(), d.resample());
    }

    @Test void decodingMatchesPil() throws IOException {
        List<String> report = new ArrayList<>();
        for (JsonNode c : ImageFixtures.manifest().get("cases")) {
            if (c.get("decoded").isNull()) continue;
            RgbImage java = ImageDecoder.decode(ImageFixtures.dir().resolve(c.get("file").asText()));
            RgbImage pil = ImageDecoder.decode(ImageFixtures.dir().resolve(c.get("decoded").asText()));
            int d = ImageFixtures.maxDiff(java, pil);
            boolean jpeg = c.get("file").asText().endsWith(".jpg");
            if (d != 0) report.add(c.get("file").asText() + " max diff " + d + " (" + ImageFixtures.countDiff(java, pil) + " values)");
            // PNG decoding must be exact; JPEG within one 8-bit level (libjpeg 6b vs libjpeg-turbo).
            assertTrue(d >= 0 && d <= (jpeg ? 1 : 0), c.get("file").asText() + ": max diff " + d);
        }
        System.out.println("decode differences vs PIL: " + (report.isEmpty() ? "none" : report));
    }

    @Test void smartResizeAndGridMatchTheReference() throws IOException {
        for (JsonNode c : ImageFixtures.manifest().get("cases")) {
            QwenImageProcessor p = new QwenImageProcessor(config(c));
            SmartResize.Size s = p.targetSize(c.get("width").asInt(), c.get("height").asInt());
            assertEquals(c.get("resized_height").asInt(), s.height(), c.get("file").asText());
            assertEquals(c.get("resized_width").asInt(), s.width(), c.get("file").asText());
            JsonNode g = c.get("grid_thw");
            assertEquals(new ImageGrid(g.get(0).asInt(), g.get(1).asInt(), g.get(2).asInt()),
                    p.gridFor(c.get("width").asInt(), c.get("height").asInt()));
        }
    }

    /** Resize from PIL's own decode, so only the resampler is compared: bit-exact. */
    @Test void bicubicResizeIsBitIdenticalToPil() throws IOException {
        int resized = 0;
        for (JsonNode c : ImageFixtures.manifest().get("cases")) {
            if (c.get("decoded").isNull()) continue;
            RgbImage pilDecoded = ImageDecoder.decode(ImageFixtures.dir().resolve(c.get("decoded").asText()));
            RgbImage pilResized = ImageDecoder.decode(ImageFixtures.dir().resolve(c.get("resized").asText()));
            RgbImage java = PilBicubic.resize(pilDecoded, c.get("resized_width").asInt(), c.get("resized_height").asInt());
            assertEquals(0, ImageFixtures.maxDiff(java, pilResized), c.get("file").asText());
            if (pilDecoded.width() != pilResized.width() || pilDecoded.height() != pilResized.height()) resized++;
        }
        assertTrue(resized >= 8, "fixtures should exercise real resizes, found " + resized);
    }

    /** The whole pipeline from the file: within one 8-bit level before normalisation (exact for PNG). */
    @Test void endToEndResizedPixelsWithinOneLevel() throws IOException {
        List<String> report = new ArrayList<>();
        for (JsonNode c : ImageFixtures.manifest().get("cases")) {
            Path f = ImageFixtures.dir().resolve(c.get("file").asText());
            QwenImageProcessor p = new QwenImageProcessor(config(c));
            RgbImage img = ImageDecoder.decode(f);
            SmartResize.Size s = p.targetSize(img.width(), img.height());
            RgbImage java = PilBicubic.resize(img, s.width(), s.height());
            RgbImage pil = ImageDecoder.decode(ImageFixtures.dir().resolve(c.get("resized").asText()));
            int d = ImageFixtures.maxDiff(java, pil);
            if (d != 0) report.add(c.get("file").asText() + " max " + d + " (" + ImageFixtures.countDiff(java, pil) + " of " + java.rgb().length + ")");
            assertTrue(d >= 0 && d <= (c.get("file").asText().endsWith(".jpg") ? 1 : 0), c.get("file").asText() + ": max diff " + d);
        }
        System.out.println("resized differences vs PIL: " + (report.isEmpty() ? "none" : report));
    }

    /** pixel_values against the numpy processor: 1e-6 (in fact identical) when the decode and resize are exact. */
    @Test void pixelValuesMatchTheNumpyProcessor() throws IOException {
        int checked = 0;
        for (JsonNode c : ImageFixtures.manifest().get("cases")) {
            if (!c.has("pixel_values") || c.get("file").asText().endsWith(".jpg")) continue;
            ProcessedImage got = new QwenImageProcessor(config(c)).process(ImageFixtures.dir().resolve(c.get("file").asText()));
            float[] want = ImageFixtures.floats(c.get("pixel_values").asText());
            assertEquals(want.length, got.pixels().length, c.get("file").asText());
            double max = 0;
            for (int i = 0; i < want.length; i++) max = Math.max(max, Math.abs(want[i] - got.pixels()[i]));
            assertTrue(max <= 1e-6, c.get("file").asText() + ": max abs diff " + max);
            assertEquals(1176, got.rowSize());
            checked++;
        }
        assertTrue(checked >= 6);
    }

    @Test void rowLayoutIsMergeBlockMajorChannelFrameYX() {
        // 56x56 image whose pixel (x, y) has R = x, G = y, B = 7: check a few rows by hand.
        byte[] rgb = new byte[56 * 56 * 3];
        for (int y = 0; y < 56; y++)
            for (int x = 0; x < 56; x++) {
                rgb[(y * 56 + x) * 3] = (byte) x;
                rgb[(y * 56 + x) * 3 + 1] = (byte) y;
                rgb[(y * 56 + x) * 3 + 2] = 7;
            }
        QwenImageProcessor p = new QwenImageProcessor(PreprocessorConfig.defaults());
        ProcessedImage out = p.flatten(new RgbImage(56, 56, rgb));
        assertEquals(new ImageGrid(1, 4, 4), out.grid());
        // Row 5 = merge block (0, 1), row-in-block 0, col-in-block 1 -> patch (py 0, px 3): x0 = 42, y0 = 0.
        int base = 5 * 1176;
        assertEquals(p.normalise(0, 42), out.pixels()[base]);                       // R, frame 0, y 0, x 0
        assertEquals(p.normalise(0, 42 + 13), out.pixels()[base + 13]);             // R, frame 0, y 0, x 13
        assertEquals(p.normalise(0, 42), out.pixels()[base + 196]);                 // R, frame 1 repeats frame 0
        assertEquals(p.normalise(1, 5), out.pixels()[base + 2 * 196 + 5 * 14 + 2]); // G, frame 0, y 5
        assertEquals(p.normalise(2, 7), out.pixels()[base + 4 * 196 + 3 * 196 / 2]);// B, frame 0
        // Row 10 = block (1, 0), row-in-block 1, col 0 -> patch (py 3, px 0): y0 = 42.
        assertEquals(p.normalise(1, 42), out.pixels()[10 * 1176 + 2 * 196]);
    }

    @Test void smartResizeHandComputedCases() {
        assertEquals(new SmartResize.Size(476, 644), SmartResize.of(480, 640, 28, 3136, 12845056));
        assertEquals(new SmartResize.Size(420, 644), SmartResize.of(427, 640, 28, 3136, 12845056));
        assertEquals(new SmartResize.Size(364, 504), SmartResize.of(375, 500, 28, 3136, 12845056));
        assertEquals(new SmartResize.Size(448, 448), SmartResize.of(448, 448, 28, 3136, 12845056));
        assertEquals(new SmartResize.Size(56, 56), SmartResize.of(70, 70, 28, 3136, 12845056));   // 2.5 -> 2, not 3
        assertEquals(new SmartResize.Size(112, 112), SmartResize.of(98, 98, 28, 3136, 12845056)); // 3.5 -> 4
        assertThrows(IllegalArgumentException.class, () -> SmartResize.of(10, 2500, 28, 3136, 12845056));
        assertThrows(IllegalArgumentException.class, () -> SmartResize.of(0, 10, 28, 3136, 12845056));
    }

    @Test void parallelBatchEqualsSequentialInOrder() throws IOException {
        List<Path> files = new ArrayList<>();
        for (String f : List.of("rgb-84x56.png", "gray-56x56.png", "rgb-70x50.png", "rgba-84x56.png", "rgb-84x56.jpg", "rgb-10x10.png", "la-56x84.png"))
            files.add(ImageFixtures.dir().resolve(f));
        QwenImageProcessor p = new QwenImageProcessor(PreprocessorConfig.defaults());
        PixelValues seq = p.processAll(files, 1);
        PixelValues par = p.processAll(files, 3);
        assertEquals(seq.grids(), par.grids());
        assertArrayEquals(seq.data(), par.data());
        assertEquals(files.size(), seq.grids().size());
        int rows = 0;
        for (ImageGrid g : seq.grids()) rows += g.patches();
        assertEquals(rows, seq.rows());
    }

    /** 2- and 4-bit grayscale PNGs (PIL cannot write them): PIL 9.4 decodes level n as n*85 and n*17 (measured). */
    @Test void lowBitGrayscalePngScalesLikePil(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        for (int bits : new int[]{2, 4}) {
            Path f = tmp.resolve("g" + bits + ".png");
            java.nio.file.Files.write(f, grayPng(bits, 16));
            RgbImage img = ImageDecoder.decode(f);
            int levels = (1 << bits) - 1;
            for (int x = 0; x < 16; x++)
                for (int c = 0; c < 3; c++) assertEquals((x % (levels + 1)) * (255 / levels), img.get(x, 0, c), bits + "-bit x=" + x);
        }
    }

    /** 16-bit RGB and RGBA PNGs (PIL cannot write them): expected values measured with PIL 9.4 (+ white paste for RGBA). */
    @Test void sixteenBitPngsKeepTheHighByteLikePil(@org.junit.jupiter.api.io.TempDir Path tmp) throws Exception {
        int[][] px = {{0x1234, 0xABCD, 0x00FF, 0x8000}, {0xFFFF, 0x0001, 0x7F80, 0x4000}, {0x0080, 0x80FF, 0xFF00, 0xC000}, {0x5555, 0xAAAA, 0x1111, 0x0000}};
        int[][] rgb = {{18, 171, 0}, {255, 0, 127}, {0, 128, 255}, {85, 170, 17}};
        int[][] rgba = {{136, 213, 127}, {255, 191, 223}, {63, 159, 255}, {255, 255, 255}};
        for (int ctype : new int[]{2, 6}) {
            int ch = ctype == 6 ? 4 : 3;
            java.io.ByteArrayOutputStream raw = new java.io.ByteArrayOutputStream();
            raw.write(0);
            for (int[] p : px) for (int c = 0; c < ch; c++) { raw.write(p[c] >> 8); raw.write(p[c] & 0xff); }
            Path f = tmp.resolve("c" + ctype + ".png");
            java.nio.file.Files.write(f, png(4, 1, 16, ctype, raw.toByteArray()));
            RgbImage img = ImageDecoder.decode(f);
            int[][] want = ctype == 6 ? rgba : rgb;
            for (int x = 0; x < 4; x++) for (int c = 0; c < 3; c++) assertEquals(want[x][c], img.get(x, 0, c), "type " + ctype + " x=" + x + " c=" + c);
        }
    }

    static byte[] png(int w, int h, int bits, int colorType, byte[] filteredRows) throws IOException {
        java.io.ByteArrayOutputStream z = new java.io.ByteArrayOutputStream();
        try (java.util.zip.DeflaterOutputStream d = new java.util.zip.DeflaterOutputStream(z)) {
            d.write(filteredRows);
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.write(new byte[]{(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10});
        chunk(out, "IHDR", java.nio.ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) bits).put((byte) colorType).put((byte) 0).put((byte) 0).put((byte) 0).array());
        chunk(out, "IDAT", z.toByteArray());
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    /** A two-row grayscale PNG whose pixel x has level x mod 2^bits. */
    static byte[] grayPng(int bits, int w) throws IOException {
        int h = 2, per = 8 / bits;
        java.io.ByteArrayOutputStream raw = new java.io.ByteArrayOutputStream();
        for (int y = 0; y < h; y++) {
            raw.write(0);
            for (int b = 0; b < (w * bits + 7) / 8; b++) {
                int v = 0;
                for (int k = 0; k < per; k++) v = (v << bits) | ((b * per + k) % (1 << bits));
                raw.write(v);
            }
        }
        java.io.ByteArrayOutputStream z = new java.io.ByteArrayOutputStream();
        try (java.util.zip.DeflaterOutputStream d = new java.util.zip.DeflaterOutputStream(z)) {
            d.write(raw.toByteArray());
        }
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.write(new byte[]{(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10});
        chunk(out, "IHDR", java.nio.ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) bits).put((byte) 0).put((byte) 0).put((byte) 0).put((byte) 0).array());
        chunk(out, "IDAT", z.toByteArray());
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    static void chunk(java.io.ByteArrayOutputStream out, String type, byte[] data) throws IOException {
        out.write(java.nio.ByteBuffer.allocate(4).putInt(data.length).array());
        byte[] t = type.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        out.write(t);
        out.write(data);
        java.util.zip.CRC32 crc = new java.util.zip.CRC32();
        crc.update(t);
        crc.update(data);
        out.write(java.nio.ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }
}
