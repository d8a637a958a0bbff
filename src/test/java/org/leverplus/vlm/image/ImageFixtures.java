package org.leverplus.vlm.image;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.io.InputStream;
import java.net.URISyntaxException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/** The PIL fixtures of tools/vlm/image-golden.py under src/test/resources/org/leverplus/vlm/image. */
final class ImageFixtures {
    private ImageFixtures() {}

    static Path dir() {
        try {
            return Path.of(ImageFixtures.class.getResource("/org/leverplus/vlm/image/manifest.json").toURI()).getParent();
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    static JsonNode manifest() throws IOException {
        return new ObjectMapper().readTree(dir().resolve("manifest.json").toFile());
    }

    static JsonNode find(String file) throws IOException {
        for (JsonNode c : manifest().get("cases")) if (c.get("file").asText().equals(file)) return c;
        throw new IllegalArgumentException(file);
    }

    static float[] floats(String name) throws IOException {
        try (InputStream in = new GZIPInputStream(Files.newInputStream(dir().resolve(name)))) {
            byte[] b = in.readAllBytes();
            float[] out = new float[b.length / 4];
            ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(out);
            return out;
        }
    }

    /** Largest absolute difference of two images of the same size, or -1 when the sizes differ. */
    static int maxDiff(RgbImage a, RgbImage b) {
        if (a.width() != b.width() || a.height() != b.height()) return -1;
        int m = 0;
        for (int i = 0; i < a.rgb().length; i++) m = Math.max(m, Math.abs((a.rgb()[i] & 0xff) - (b.rgb()[i] & 0xff)));
        return m;
    }

    static int countDiff(RgbImage a, RgbImage b) {
        int n = 0;
        for (int i = 0; i < a.rgb().length; i++) if (a.rgb()[i] != b.rgb()[i]) n++;
        return n;
    }
}
