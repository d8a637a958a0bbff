package org.leverplus.io;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leverplus.torch.TensorScope;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

class SafetensorsTest {
    @TempDir Path dir;

    @Test
    void roundTripsEveryDtypeWithMetadata() throws IOException {
        try (TensorScope s = TensorScope.open()) {
            torch.manual_seed(3);
            Map<String, Tensor> in = new LinkedHashMap<>();
            in.put("f32", torch.randn(3, 5));
            in.put("f16", torch.randn(4, 2).to(ScalarType.Half));
            in.put("bf16", torch.randn(7).to(ScalarType.BFloat16));
            in.put("f64", torch.randn(2, 2).to(ScalarType.Double));
            in.put("i64", torch.randint(-1000, 1000, new long[]{3, 1}));
            in.put("i32", torch.randint(-1000, 1000, new long[]{5}).to(ScalarType.Int));
            in.put("u8", torch.randint(0, 255, new long[]{9}).to(ScalarType.Byte));
            in.put("bool", torch.rand(6).lt(new Scalar(0.5)));
            in.put("scalar", torch.randn(1).view(new long[0]));
            in.put("empty", torch.zeros(0, 3));
            Path f = dir.resolve("all.safetensors");
            Safetensors.write(f, in, Map.of("format", "pt", "arch", "test"));
            try (SafetensorsFile sf = Safetensors.open(f)) {
                assertEquals(Map.of("format", "pt", "arch", "test"), sf.metadata());
                assertEquals(in.keySet(), new java.util.HashSet<>(sf.names()));
                for (var e : in.entrySet()) {
                    Tensor got = sf.get(e.getKey());
                    assertEquals(e.getValue().scalar_type().intern(), got.scalar_type().intern(), e.getKey());
                    assertArrayEquals(e.getValue().sizes().vec().get(), got.sizes().vec().get(), e.getKey());
                    assertTrue(e.getValue().equal(got), e.getKey());
                }
            }
        }
    }

    @Test
    void layoutIsByteIdenticalToTheReferenceWriter() throws IOException {
        // Expected bytes built by hand from the format's rules: compact JSON, __metadata__ first, tensors ordered by
        // descending dtype (I64 > F32 > BOOL) then name, header padded with spaces to a multiple of 8, LE data.
        String json = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"a\":{\"dtype\":\"I64\",\"shape\":[1],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]},"
                + "\"c\":{\"dtype\":\"BOOL\",\"shape\":[3],\"data_offsets\":[16,19]}}";
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        int padded = (h.length + 7) / 8 * 8;
        ByteBuffer exp = ByteBuffer.allocate(8 + padded + 19).order(ByteOrder.LITTLE_ENDIAN);
        exp.putLong(padded).put(h);
        for (int i = h.length; i < padded; i++) exp.put((byte) ' ');
        exp.putLong(7L).putFloat(1.5f).putFloat(-2f).put((byte) 1).put((byte) 0).put((byte) 1);
        try (TensorScope s = TensorScope.open()) {
            Map<String, Tensor> in = new LinkedHashMap<>();
            in.put("c", torch.tensor(new byte[]{1, 0, 1}).to(ScalarType.Bool));
            in.put("b", torch.tensor(new float[]{1.5f, -2f}));
            in.put("a", torch.tensor(new long[]{7L}));
            Path f = dir.resolve("layout.safetensors");
            Safetensors.write(f, in, Map.of("format", "pt"));
            assertArrayEquals(exp.array(), Files.readAllBytes(f));
            assertEquals(0, (8 + padded) % 8, "data section must be 8-byte aligned");
        }
    }

    @Test
    void tensorsStayValidAfterCloseAndWritesNeverReachTheFile() throws IOException {
        try (TensorScope s = TensorScope.open()) {
            Path f = dir.resolve("x.safetensors");
            Tensor x = torch.arange(new Scalar(12)).to(ScalarType.Float).view(3, 4);
            Safetensors.write(f, Map.of("x", x), Map.of());
            byte[] before = Files.readAllBytes(f);
            Tensor y;
            try (SafetensorsFile sf = Safetensors.open(f)) {
                y = sf.get("x");
            }
            assertTrue(x.equal(y), "view must outlive close(): the storage owns the mapping");
            y.add_(new Scalar(1));  // copy-on-write mapping
            assertArrayEquals(before, Files.readAllBytes(f));
        }
    }

    @Test
    void writeIsAtomicAndLeavesNoTemporaryFiles() throws IOException {
        try (TensorScope s = TensorScope.open()) {
            Path f = dir.resolve("w.safetensors");
            Files.writeString(f, "old");
            Map<String, Tensor> bad = new LinkedHashMap<>();
            bad.put("ok", torch.zeros(2));
            bad.put("complex", torch.zeros(2).to(ScalarType.ComplexFloat));
            assertThrows(IllegalArgumentException.class, () -> Safetensors.write(f, bad, Map.of()));
            assertEquals("old", Files.readString(f), "a failed write must not touch the existing file");
            Safetensors.write(f, Map.of("ok", torch.ones(2)), Map.of());
            try (var files = Files.list(dir)) {
                assertEquals(1, files.count(), "no temporary file may remain");
            }
        }
    }

    // ---- malformed files: each rejected with a message naming the file and the problem

    private Path raw(String name, String json, int dataBytes) throws IOException {
        byte[] h = json.getBytes(StandardCharsets.UTF_8);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN).putLong(h.length);
        out.write(len.array());
        out.write(h);
        out.write(new byte[dataBytes]);
        Path f = dir.resolve(name);
        Files.write(f, out.toByteArray());
        return f;
    }

    private void assertMalformed(Path f, String expectedFragment) {
        MalformedSafetensorsException e = assertThrows(MalformedSafetensorsException.class, () -> Safetensors.open(f));
        assertTrue(e.getMessage().contains(f.toString()), e.getMessage());
        assertTrue(e.getMessage().contains(expectedFragment), "message '" + e.getMessage() + "' lacks '" + expectedFragment + "'");
    }

    @Test
    void rejectsBadJson() throws IOException {
        assertMalformed(raw("badjson.safetensors", "{\"a\":{\"dtype\":\"F32\",", 0), "not valid JSON");
    }

    @Test
    void rejectsOffsetsOutOfRange() throws IOException {
        assertMalformed(raw("range.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8),
                "beyond the data section");
    }

    @Test
    void rejectsOverlappingTensors() throws IOException {
        assertMalformed(raw("overlap.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}", 12), "overlap");
    }

    @Test
    void rejectsHolesAndTrailingBytes() throws IOException {
        assertMalformed(raw("hole.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8), "hole");
        assertMalformed(raw("trailing.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]}}", 8),
                "data section holds 8");
    }

    @Test
    void rejectsTruncatedFiles() throws IOException {
        Path f = dir.resolve("t.safetensors");
        Files.write(f, new byte[]{1, 2, 3});
        assertMalformed(f, "shorter than the 8-byte header length");
        Path g = raw("t2.safetensors", "{}", 0);
        byte[] b = Files.readAllBytes(g);
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, 4096);
        Files.write(g, b);
        assertMalformed(g, "runs past the end of the file");
    }

    @Test
    void rejectsSizeShapeMismatchUnknownDtypeAndDuplicates() throws IOException {
        assertMalformed(raw("size.safetensors", "{\"a\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}", 8), "needs 12");
        assertMalformed(raw("dtype.safetensors", "{\"a\":{\"dtype\":\"C64\",\"shape\":[1],\"data_offsets\":[0,8]}}", 8), "unsupported dtype");
        assertMalformed(raw("dup.safetensors", "{\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[0,1]},"
                + "\"a\":{\"dtype\":\"U8\",\"shape\":[1],\"data_offsets\":[1,2]}}", 2), "not valid JSON");
        assertMalformed(raw("meta.safetensors", "{\"__metadata__\":{\"k\":1}}", 0), "must be a string");
    }
}
