package org.leverplus.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.leverplus.data.SyntheticRlData;
import org.leverplus.io.Safetensors;
import org.leverplus.selector.PointerSelector;
import org.leverplus.selector.SelectorCheckpoint;
import org.leverplus.selector.SelectorConfig;
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
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * The malformed inputs of the 2026-12-04 audit (src/test/resources/audit/2026-12-04-audit.md), made small: every file
 * {@code cases.txt} names as {@code {name}} is written into one directory. The good files are tiny (8 queries, an
 * [80, 8] embedding matrix, a d=8/h=6 selector) so every case runs in well under a second.
 */
final class AuditFixtures {
    private static final ObjectMapper M = new ObjectMapper();

    private AuditFixtures() {}

    static void write(Path dir) throws IOException {
        Path rl = dir.resolve("rl.json");
        SyntheticRlData.write(new SyntheticRlData.Spec(SyntheticRlData.Format.V4, 8, 4, 80, 3), rl, false);
        String text = Files.readString(rl);
        ObjectNode root = (ObjectNode) M.readTree(text);

        // RL data variants
        ObjectNode nonInt = M.createObjectNode();
        root.fields().forEachRemaining(e -> nonInt.set(e.getKey().equals("0") ? "é😀0" : e.getKey(), e.getValue()));
        json(dir.resolve("rl-nonint-key.json"), nonInt);
        ObjectNode alias = root.deepCopy();
        alias.set("00", root.get("0").deepCopy());
        json(dir.resolve("rl-alias-00.json"), alias);
        ObjectNode dup = root.deepCopy();
        ArrayNode p = (ArrayNode) firstCandidate(dup).get("pointer");
        p.set(1, p.get(0));
        json(dir.resolve("rl-dup-icd.json"), dup);
        ObjectNode c7 = root.deepCopy();
        firstCandidate(c7).put("vqa_correct", 7);
        json(dir.resolve("rl-correct7.json"), c7);
        ObjectNode nan = root.deepCopy();
        firstCandidate(nan).put("vqa_acc_score", 12345.5);
        Files.writeString(dir.resolve("rl-nan.json"), M.writeValueAsString(nan).replace("12345.5", "NaN"));
        Files.writeString(dir.resolve("rl-inf.json"), M.writeValueAsString(nan).replace("12345.5", "Infinity"));
        Files.writeString(dir.resolve("rl-top-array.json"), "[1, 2]");
        Files.writeString(dir.resolve("rl-truncated.json"), text.substring(0, text.length() / 2));
        Files.writeString(dir.resolve("rl-empty.json"), "");
        Files.writeString(dir.resolve("sft-truncated.json"), "{\"0\": {\"id_list\": [[1, 2], [3");
        Files.createDirectories(dir.resolve("a-dir"));

        try (TensorScope s = TensorScope.open()) {
            torch.manual_seed(5);
            Tensor emb = torch.randn(80, 8);
            Safetensors.write(dir.resolve("emb.safetensors"), Map.of("embeddings", emb), Map.of());
            Safetensors.write(dir.resolve("emb-10rows.safetensors"), Map.of("embeddings", emb.narrow(0, 0, 10)), Map.of());
            Safetensors.write(dir.resolve("emb-i32.safetensors"), Map.of("embeddings", emb.mul(new org.bytedeco.pytorch.Scalar(10.0))
                    .to(torch.ScalarType.Int)), Map.of());
            Tensor withNan = emb.clone();
            withNan.select(0, 3).select(0, 2).fill_(new org.bytedeco.pytorch.Scalar(Double.NaN));
            Safetensors.write(dir.resolve("emb-nan.safetensors"), Map.of("embeddings", withNan), Map.of());

            SelectorConfig c = SelectorConfig.defaults().withSizes(8, 6, 1);
            try (PointerSelector m = PointerSelector.create(c, 1)) {
                SelectorCheckpoint.save(dir.resolve("ckpt.safetensors"), m, Map.of());
                Map<String, Tensor> t = new LinkedHashMap<>();
                m.parameters().forEach((k, v) -> t.put(k, v.detach()));
                Map<String, String> meta = new LinkedHashMap<>(c.toMetadata());
                meta.put("num_layers", "1000000");
                Safetensors.write(dir.resolve("ckpt-layers.safetensors"), t, meta);
                meta.put("num_layers", "1");
                meta.put("hidden_dim", "2000000000");
                Safetensors.write(dir.resolve("ckpt-hidden.safetensors"), t, meta);
                meta.put("hidden_dim", "4096");
                Safetensors.write(dir.resolve("ckpt-big.safetensors"), t, meta);
                Map<String, Tensor> bad = new LinkedHashMap<>(t);
                bad.put("query_proj.weight", t.get("query_proj.weight").clone().fill_(new org.bytedeco.pytorch.Scalar(Double.NaN)));
                Safetensors.write(dir.resolve("ckpt-nan.safetensors"), bad, c.toMetadata());
            }
        }
        safetensorsHeader(dir.resolve("st-huge-shape.safetensors"), "{\"embeddings\":{\"dtype\":\"F32\",\"shape\":[1099511627776,1099511627776],\"data_offsets\":[0,16]}}", 16);
        Files.write(dir.resolve("st-garbage.safetensors"), new byte[]{1, 2, 3});

        // npy
        npy(dir.resolve("npy-neg-shape.npy"), "{'descr': '<f4', 'fortran_order': False, 'shape': (-5, 512), }", 1, 0);
        npy(dir.resolve("npy-overflow.npy"), "{'descr': '<f4', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", 1, 0);
        npy(dir.resolve("npy-dup-shape.npy"), "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), 'shape': (1, 4), }", 1, 16);
        npy(dir.resolve("npy-v9.npy"), "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", 9, 16);
        npy(dir.resolve("npy-truncated.npy"), "{'descr': '<f4', 'fortran_order': False, 'shape': (10, 4), }", 1, 37);
        npy(dir.resolve("npy-1d.npy"), "{'descr': '<f4', 'fortran_order': False, 'shape': (16,), }", 1, 64);
        npy(dir.resolve("npy-i8.npy"), "{'descr': '<i8', 'fortran_order': False, 'shape': (2, 2), }", 1, 32);
        byte[] nanData = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN).putFloat(1).putFloat(2).putFloat(Float.NaN).putFloat(4).array();
        npyWith(dir.resolve("npy-nan.npy"), "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", 1, nanData);
        npy(dir.resolve("npy-good.npy"), "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", 3, 16);

        // .pt: pickles that lie about lengths, a zip whose entry inflates past its declared size, strides past the storage
        pt(dir.resolve("pt-truncated.pt"), new byte[]{(byte) 0x80, 2, '}', 'q', 0, 'X', 5, 0, 0, 0, 'a', 'b'}, null);
        pt(dir.resolve("pt-neglen.pt"), new byte[]{(byte) 0x80, 2, 'X', (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff, 'a', '.'}, null);
        pt(dir.resolve("pt-hugelen.pt"), new byte[]{(byte) 0x80, 2, 'X', (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x7f, 'a', '.'}, null);
        pt(dir.resolve("pt-tuple.pt"), new byte[]{(byte) 0x80, 2, 'K', 1, 'K', 2, (byte) 0x86, '.'}, null);
        pt(dir.resolve("pt-bad-stride.pt"), rebuildTensorPickle(255, 255), new byte[12]);
        inflationBomb(dir.resolve("pt-bomb.pt"));

        // images: a PNG header declaring 20000 x 20000 pixels (400 M, above the decompression-bomb limit), no pixel data
        png(dir.resolve("bomb.png"), 20000, 20000);
        Files.writeString(dir.resolve("grid-query.json"), "{\"grid\": [1, 100000, 100000], \"question\": \"What is it?\"}");
        Files.writeString(dir.resolve("bomb-query.json"), "{\"image\": \"bomb.png\", \"question\": \"What is it?\"}");

        // requests: an out-of-vocabulary token id
        Files.writeString(dir.resolve("req-bad-token.jsonl"), "{\"id\": \"r1\", \"input_ids\": [2001, 999999999, 12, 13], \"answer_start\": 2, \"answer_end\": 4}\n");
        Files.writeString(dir.resolve("req-neg-token.jsonl"), "{\"id\": \"r2\", \"input_ids\": [2001, -2, 12, 13], \"answer_start\": 2, \"answer_end\": 4}\n");
        Files.writeString(dir.resolve("req-truncated.jsonl"), "{\"id\": \"r3\", \"input_ids\": [2001, 1\n");
        Files.writeString(dir.resolve("a-file"), "x");
        Files.writeString(dir.resolve("metric-two.jsonl"), "{\"pred\": \"two\", \"gts\": [\"2\"]} {\"pred\": \"x\", \"gts\": [\"y\"]}\n");
        Files.writeString(dir.resolve("metric-dup.jsonl"), "{\"pred\": \"xyz\", \"pred\": \"two\", \"gts\": [\"2\"]}\n");
        // a make-tiny snapshot (preprocessor_config.json included) for the image cases
        org.leverplus.vlm.model.TinySnapshotWriter.write(dir.resolve("tiny"), org.leverplus.vlm.model.TinySnapshotWriter.tiny(),
                org.leverplus.vlm.model.TinySnapshotWriter.Layout.NEW, 1, null);
    }

    private static ObjectNode firstCandidate(ObjectNode root) {
        return (ObjectNode) root.get("0").get("pointer_candidates").get(0);
    }

    private static void json(Path p, JsonNode n) throws IOException {
        Files.writeString(p, M.writerWithDefaultPrettyPrinter().writeValueAsString(n));
    }

    private static void safetensorsHeader(Path p, String header, int dataBytes) throws IOException {
        byte[] h = header.getBytes(StandardCharsets.UTF_8);
        ByteBuffer b = ByteBuffer.allocate(8 + h.length + dataBytes).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(h.length).put(h);
        Files.write(p, b.array());
    }

    private static void npy(Path p, String header, int major, int dataBytes) throws IOException {
        npyWith(p, header, major, new byte[dataBytes]);
    }

    private static void npyWith(Path p, String header, int major, byte[] data) throws IOException {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.write(new byte[]{(byte) 0x93, 'N', 'U', 'M', 'P', 'Y', (byte) major, 0});
        byte[] h = (header + "\n").getBytes(StandardCharsets.ISO_8859_1);
        if (major == 1) o.write(ByteBuffer.allocate(2).order(ByteOrder.LITTLE_ENDIAN).putShort((short) h.length).array());
        else o.write(ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN).putInt(h.length).array());
        o.write(h);
        o.write(data);
        Files.write(p, o.toByteArray());
    }

    /** {@code {'w': _rebuild_tensor_v2(storage('0', FloatStorage), 0, (h, w), (w, 1))}} over a storage of 3 floats. */
    private static byte[] rebuildTensorPickle(int h, int w) {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.writeBytes(new byte[]{(byte) 0x80, 2, '}', 'X', 1, 0, 0, 0, 'w'});
        o.writeBytes("ctorch._utils\n_rebuild_tensor_v2\n".getBytes(StandardCharsets.US_ASCII));
        o.write('(');
        o.write('(');
        o.writeBytes(new byte[]{'X', 7, 0, 0, 0});
        o.writeBytes("storage".getBytes(StandardCharsets.US_ASCII));
        o.writeBytes("ctorch\nFloatStorage\n".getBytes(StandardCharsets.US_ASCII));
        o.writeBytes(new byte[]{'X', 1, 0, 0, 0, '0', 'X', 3, 0, 0, 0, 'c', 'p', 'u', 'K', 3, 't', 'Q'});
        o.writeBytes(new byte[]{'K', 0});
        o.writeBytes(new byte[]{'M', (byte) h, (byte) (h >> 8), 'M', (byte) w, (byte) (w >> 8), (byte) 0x86});
        o.writeBytes(new byte[]{'M', (byte) w, (byte) (w >> 8), 'K', 1, (byte) 0x86});
        o.writeBytes(new byte[]{'t', 'R', 's', '.'});
        return o.toByteArray();
    }

    private static void pt(Path p, byte[] pickle, byte[] storage0) throws IOException {
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(p))) {
            stored(z, "archive/data.pkl", pickle);
            if (storage0 != null) stored(z, "archive/data/0", storage0);
        }
    }

    private static void stored(ZipOutputStream z, String name, byte[] b) throws IOException {
        ZipEntry e = new ZipEntry(name);
        e.setMethod(ZipEntry.STORED);
        e.setSize(b.length);
        CRC32 crc = new CRC32();
        crc.update(b);
        e.setCrc(crc.getValue());
        z.putNextEntry(e);
        z.write(b);
        z.closeEntry();
    }

    /** A deflated data.pkl of 4 MB of zeros whose central directory declares 16 bytes. */
    private static void inflationBomb(Path p) throws IOException {
        ByteArrayOutputStream bo = new ByteArrayOutputStream();
        try (ZipOutputStream z = new ZipOutputStream(bo)) {
            z.putNextEntry(new ZipEntry("archive/data.pkl"));
            z.write(new byte[4 << 20]);
            z.closeEntry();
        }
        byte[] b = bo.toByteArray();
        ByteBuffer bb = ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = b.length - 46; i >= 0; i--)
            if (bb.getInt(i) == 0x02014b50) { bb.putInt(i + 24, 16); break; } // central directory: uncompressed size
        Files.write(p, b);
    }

    private static void png(Path p, int w, int h) throws IOException {
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        o.writeBytes(new byte[]{(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
        ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0);
        chunk(o, "IHDR", ihdr.array());
        chunk(o, "IEND", new byte[0]);
        Files.write(p, o.toByteArray());
    }

    private static void chunk(ByteArrayOutputStream o, String type, byte[] data) {
        o.writeBytes(ByteBuffer.allocate(4).putInt(data.length).array());
        byte[] t = type.getBytes(StandardCharsets.US_ASCII);
        o.writeBytes(t);
        o.writeBytes(data);
        CRC32 c = new CRC32();
        c.update(t);
        c.update(data);
        o.writeBytes(ByteBuffer.allocate(4).putInt((int) c.getValue()).array());
    }
}
