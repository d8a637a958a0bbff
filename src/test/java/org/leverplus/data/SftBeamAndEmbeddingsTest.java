package org.leverplus.data;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leverplus.io.JsonSupport;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class SftBeamAndEmbeddingsTest {
    @TempDir Path dir;

    @Test
    void beamFileRoundTripsWithoutLoss() throws Exception {
        String text = """
                {"17": {"beams": [{"shots": [{"id": 5, "score": -0.25}, {"id": 9, "score": -0.125}], "final_score": -0.125,
                                   "full_sequence": [9, 5, 17]},
                                  {"shots": [{"id": 3, "score": -0.5}, {"id": 4, "score": -0.3}], "final_score": -0.3,
                                   "full_sequence": [4, 3, 17]}],
                        "few_shot_num": 2, "id_list": [[9, 5, 17], [4, 3, 17]], "score_list": [-0.125, -0.3],
                        "shot_scores": [[-0.25, -0.125], [-0.5, -0.3]], "sampler": "RandSampler"},
                 "3": {"id_list": [[1, 2, 3]], "score_list": [1e-7]},
                 "_note": "kept"}""";
        Path in = dir.resolve("beam.json");
        Files.writeString(in, text);
        SftBeamData d = SftBeamData.read(in);
        assertEquals(2, d.entries().size());
        assertEquals(3, d.beamCount());
        SftBeamEntry e = d.entries().get(0);
        assertEquals(17, e.index());
        assertArrayEquals(new int[]{9, 5}, e.icds(0));
        assertEquals(2, e.fewShotNum());
        assertArrayEquals(new double[]{-0.5, -0.3}, e.shotScores().get(1));
        Path out = dir.resolve("out.json");
        d.write(out, false);
        assertEquals(JsonSupport.mapper().readTree(in.toFile()), JsonSupport.mapper().readTree(out.toFile()));

        Files.writeString(in, "{\"5\": {\"id_list\": [[1, 2, 5]], \"score_list\": [0.1, 0.2]}}");
        RlDataFormatException ex = assertThrows(RlDataFormatException.class, () -> SftBeamData.read(in));
        assertEquals("score_list", ex.field());
        assertEquals("5", ex.queryKey());
    }

    @Test
    void safetensorsRoundTripAndLayout() throws Exception {
        float[] v = {1.5f, -2f, 0f, 3.25f, Float.MIN_VALUE, 1e30f};
        Path p = dir.resolve("emb.safetensors");
        Embeddings.of(3, 2, v).writeSafetensors(p, Map.of("model", "clip-b32"), false);
        Embeddings e = Embeddings.readSafetensors(p);
        assertEquals(3, e.rows());
        assertEquals(2, e.dim());
        assertArrayEquals(new float[]{0f, 3.25f}, e.row(1));
        assertEquals(1e30f, e.get(2, 1));
        assertEquals("clip-b32", e.metadata().get("model"));
        // layout: u64 LE header length (multiple of 8), JSON header, then the raw little-endian floats
        byte[] bytes = Files.readAllBytes(p);
        long hl = ByteBuffer.wrap(bytes, 0, 8).order(ByteOrder.LITTLE_ENDIAN).getLong();
        assertEquals(0, hl % 8);
        String header = new String(bytes, 8, (int) hl, StandardCharsets.UTF_8);
        assertTrue(header.contains("\"dtype\":\"F32\"") && header.contains("\"shape\":[3,2]") && header.contains("\"data_offsets\":[0,24]"), header);
        assertEquals(8 + hl + 24, bytes.length);
        assertEquals(1.5f, ByteBuffer.wrap(bytes, (int) (8 + hl), 4).order(ByteOrder.LITTLE_ENDIAN).getFloat());
    }

    private static byte[] npy(String descr, int rows, int cols, ByteBuffer data) {
        String dict = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': (" + rows + ", " + cols + "), }";
        int total = 10 + dict.length() + 1;
        int pad = (64 - total % 64) % 64;
        String header = dict + " ".repeat(pad) + "\n";
        ByteBuffer b = ByteBuffer.allocate(10 + header.length() + data.capacity()).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0x93).put("NUMPY".getBytes(StandardCharsets.US_ASCII)).put((byte) 1).put((byte) 0);
        b.putShort((short) header.length()).put(header.getBytes(StandardCharsets.US_ASCII)).put(data.array());
        return b.array();
    }

    @Test
    void npyImport() throws Exception {
        ByteBuffer f4 = ByteBuffer.allocate(4 * 6).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 6; i++) f4.putFloat(i * 0.5f);
        Path n = dir.resolve("a.npy");
        Files.write(n, npy("<f4", 2, 3, f4));
        Path out = dir.resolve("a.safetensors");
        assertArrayEquals(new long[]{2, 3}, Embeddings.importNpy(n, out, Map.of(), false));
        Embeddings e = Embeddings.readSafetensors(out);
        assertArrayEquals(new float[]{1.5f, 2f, 2.5f}, e.row(1));

        ByteBuffer f8 = ByteBuffer.allocate(8 * 4).order(ByteOrder.BIG_ENDIAN);
        for (int i = 0; i < 4; i++) f8.putDouble(i + 0.25);
        Path n8 = dir.resolve("b.npy");
        Files.write(n8, npy(">f8", 4, 1, f8));
        Path out8 = dir.resolve("b.safetensors");
        Embeddings.importNpy(n8, out8, Map.of(), false);
        assertEquals(3.25f, Embeddings.readSafetensors(out8).get(3, 0));

        Path bad = dir.resolve("c.npy");
        Files.write(bad, npy("<i8", 1, 1, ByteBuffer.allocate(8)));
        Path outBad = dir.resolve("c.safetensors");
        IllegalArgumentException ex = assertThrows(IllegalArgumentException.class, () -> Embeddings.importNpy(bad, outBad, Map.of(), false));
        assertTrue(ex.getMessage().contains("dtype"), ex.getMessage());
        assertFalse(Files.exists(outBad));
        byte[] whole = npy("<f4", 2, 3, f4);
        Path trunc = dir.resolve("t.npy");
        Files.write(trunc, java.util.Arrays.copyOf(whole, whole.length - 5));
        Path outT = dir.resolve("t.safetensors");
        assertThrows(IllegalArgumentException.class, () -> Embeddings.importNpy(trunc, outT, Map.of(), false));
        assertFalse(Files.exists(outT));
    }
}
