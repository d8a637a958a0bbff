package org.leverplus.vlm;

import org.leverplus.hf.*;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leverplus.torch.TensorScope;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.*;

class SnapshotTest {
    @TempDir Path tmp;

    @Test void flatAndNestedConfigsParseToTheSameRecord() throws IOException {
        TinySnapshots.writeJson(tmp.resolve("flat.json"), TinySnapshots.flatConfig());
        TinySnapshots.writeJson(tmp.resolve("nested.json"), TinySnapshots.nestedConfig());
        Qwen25VlConfig flat = Qwen25VlConfig.read(tmp.resolve("flat.json"));
        Qwen25VlConfig nested = Qwen25VlConfig.read(tmp.resolve("nested.json"));
        assertEquals(flat, nested);
        assertEquals(8, flat.headDim());
        assertEquals(2, flat.kvGroups());
        assertEquals(List.of(2, 1, 1), flat.mropeSection());
        assertEquals(1e6, flat.ropeTheta());
        assertTrue(flat.tieWordEmbeddings());
        assertEquals(1176, flat.vision().patchRowSize());
        assertEquals(2, flat.vision().mergedWindowSize());
        assertEquals(151655, flat.imageTokenId());
    }

    @Test void real3bConfigValuesAndDerivedSizes() throws IOException {
        ObjectNode c = TinySnapshots.flatConfig();
        c.put("hidden_size", 2048).put("intermediate_size", 11008).put("num_hidden_layers", 36)
                .put("num_attention_heads", 16).put("num_key_value_heads", 2);
        ((ObjectNode) c.get("rope_scaling")).putArray("mrope_section").add(16).add(24).add(24);
        ObjectNode v = (ObjectNode) c.get("vision_config");
        v.put("depth", 32).put("hidden_size", 1280).put("intermediate_size", 3420).put("num_heads", 16)
                .put("out_hidden_size", 2048).put("window_size", 112);
        v.putArray("fullatt_block_indexes").add(7).add(15).add(23).add(31);
        TinySnapshots.writeJson(tmp.resolve("c.json"), c);
        Qwen25VlConfig cfg = Qwen25VlConfig.read(tmp.resolve("c.json"));
        assertEquals(128, cfg.headDim());
        assertEquals(8, cfg.kvGroups());
        assertEquals(256, cfg.kvDim());
        assertEquals(80, cfg.vision().headDim());
        assertEquals(4, cfg.vision().mergedWindowSize());
        assertEquals(5120, cfg.vision().mergerHiddenSize());
    }

    @Test void invariantViolationsNameTheFileAndKey() throws IOException {
        ObjectNode c = TinySnapshots.flatConfig();
        ((ObjectNode) c.get("rope_scaling")).putArray("mrope_section").add(2).add(2).add(1);
        TinySnapshots.writeJson(tmp.resolve("bad.json"), c);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Qwen25VlConfig.read(tmp.resolve("bad.json")));
        assertTrue(e.getMessage().contains("bad.json") && e.getMessage().contains("mrope_section"), e.getMessage());

        ObjectNode m = TinySnapshots.flatConfig();
        m.remove("hidden_size");
        TinySnapshots.writeJson(tmp.resolve("missing.json"), m);
        e = assertThrows(IllegalArgumentException.class, () -> Qwen25VlConfig.read(tmp.resolve("missing.json")));
        assertTrue(e.getMessage().contains("missing.json") && e.getMessage().contains("\"hidden_size\""), e.getMessage());

        ObjectNode t = TinySnapshots.flatConfig();
        t.put("num_attention_heads", "four");
        TinySnapshots.writeJson(tmp.resolve("type.json"), t);
        e = assertThrows(IllegalArgumentException.class, () -> Qwen25VlConfig.read(tmp.resolve("type.json")));
        assertTrue(e.getMessage().contains("expected an integer but found \"four\""), e.getMessage());
    }

    @Test void bothKeyLayoutsGiveTheSameCanonicalNames() throws IOException {
        Path legacy = TinySnapshots.write(tmp.resolve("legacy"), TinySnapshots.flatConfig(), WeightLayout.LEGACY, 1, 7);
        Path nested = TinySnapshots.write(tmp.resolve("nested"), TinySnapshots.nestedConfig(), WeightLayout.NESTED, 3, 7);
        WeightIndex a = Qwen25VlSnapshot.open(legacy).weightIndex();
        WeightIndex b = Qwen25VlSnapshot.open(nested).weightIndex();
        assertEquals(WeightLayout.LEGACY, a.layout());
        assertEquals(WeightLayout.NESTED, b.layout());
        assertEquals(a.names(), b.names());
        assertEquals(3, b.shards().size());
        assertEquals("model.language_model.layers.1.mlp.up_proj.weight", b.entry("model.layers.1.mlp.up_proj.weight").storedName());
        assertEquals("model.visual.blocks.0.attn.qkv.bias", b.entry("visual.blocks.0.attn.qkv.bias").storedName());
        assertTrue(Qwen25VlSnapshot.open(legacy).verifyWeights().isExact());
        assertTrue(Qwen25VlSnapshot.open(nested).verifyWeights().isExact());
    }

    @Test void mappedWeightsHoldTheStoredBytes() throws IOException {
        Path dir = TinySnapshots.write(tmp.resolve("s"), TinySnapshots.nestedConfig(), WeightLayout.NESTED, 2, 11);
        Qwen25VlSnapshot s = Qwen25VlSnapshot.open(dir);
        WeightEntry e = s.weightIndex().entry("model.norm.weight");
        short[] raw = new short[32];
        try (FileChannel ch = FileChannel.open(e.file())) {
            ByteBuffer b = ByteBuffer.allocate(64).order(ByteOrder.LITTLE_ENDIAN);
            ch.read(b, e.start());
            b.flip().asShortBuffer().get(raw);
        }
        try (TensorScope scope = TensorScope.open(); SnapshotWeights w = s.openWeights()) {
            Tensor t = w.get("model.norm.weight");
            assertArrayEquals(new long[]{32}, t.sizes().vec().get());
            Tensor f = t.to(org.bytedeco.pytorch.global.torch.ScalarType.Float).contiguous();
            float[] got = new float[32];
            f.data_ptr_float().get(got);
            for (int i = 0; i < 32; i++) assertEquals(Float.intBitsToFloat((raw[i] & 0xffff) << 16), got[i], 0.0f);
            assertEquals(w.get("model.embed_tokens.weight").sizes().vec().get()[0], Qwen25VlWeights.lmHead(w, s.config()).sizes().vec().get()[0]);
        }
    }

    @Test void mismatchedShapesAreReportedByName() throws IOException {
        Path dir = TinySnapshots.write(tmp.resolve("s"), TinySnapshots.flatConfig(), WeightLayout.LEGACY, 1, 3);
        ObjectNode c = TinySnapshots.flatConfig();
        c.put("intermediate_size", 96);
        TinySnapshots.writeJson(dir.resolve("config.json"), c);
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> Qwen25VlSnapshot.open(dir).openWeights());
        assertTrue(e.getMessage().contains("model.layers.0.mlp.down_proj.weight")
                && e.getMessage().contains("expected [32, 96] but found [32, 64]"), e.getMessage());
    }

    @Test void missingFilesAreNamed() throws IOException {
        Path dir = Files.createDirectories(tmp.resolve("empty"));
        Qwen25VlSnapshot s = Qwen25VlSnapshot.open(dir);
        NoSuchFileException e = assertThrows(NoSuchFileException.class, s::config);
        assertTrue(e.getMessage().contains("config.json"), e.getMessage());
        e = assertThrows(NoSuchFileException.class, s::weightIndex);
        assertTrue(e.getMessage().contains("model*.safetensors"), e.getMessage());
        e = assertThrows(NoSuchFileException.class, s::preprocessorConfig);
        assertTrue(e.getMessage().contains("preprocessor_config.json"), e.getMessage());
        assertEquals(GenerationConfig.defaults(), s.generationConfig());
        assertThrows(NoSuchFileException.class, () -> Qwen25VlSnapshot.open(tmp.resolve("nope")));

        Path sharded = TinySnapshots.write(tmp.resolve("sh"), TinySnapshots.flatConfig(), WeightLayout.LEGACY, 2, 1);
        Files.delete(sharded.resolve("model-00002-of-00002.safetensors"));
        e = assertThrows(NoSuchFileException.class, () -> Qwen25VlSnapshot.open(sharded).weightIndex());
        assertTrue(e.getMessage().contains("model-00002-of-00002.safetensors"), e.getMessage());
    }

    @Test void truncatedShardIsAnError() throws IOException {
        Path dir = TinySnapshots.write(tmp.resolve("t"), TinySnapshots.flatConfig(), WeightLayout.LEGACY, 1, 1);
        Path f = dir.resolve("model.safetensors");
        try (FileChannel ch = FileChannel.open(f, java.nio.file.StandardOpenOption.WRITE)) {
            ch.truncate(ch.size() - 10);
        }
        IOException e = assertThrows(IOException.class, () -> Qwen25VlSnapshot.open(dir).weightIndex());
        assertTrue(e.getMessage().contains("model.safetensors") && e.getMessage().contains("data_offsets"), e.getMessage());
    }

    @Test void viewsOutliveCloseAndAllFloatDtypesLoad() throws IOException {
        Path dir = TinySnapshots.write(tmp.resolve("f"), TinySnapshots.flatConfig(), WeightLayout.LEGACY, 1, 5);
        // Replace the single shard by one holding F32, F16 and BF16 tensors (same names and shapes).
        Qwen25VlConfig cfg = Qwen25VlConfig.read(dir.resolve("config.json"));
        java.util.Map<String, long[]> all = Qwen25VlWeights.of(cfg);
        java.util.Map<String, long[]> f32 = new java.util.LinkedHashMap<>(), f16 = new java.util.LinkedHashMap<>(), bf16 = new java.util.LinkedHashMap<>();
        int i = 0;
        for (var e : all.entrySet()) {
            int m = i++ % 3;
            (m == 0 ? f32 : m == 1 ? f16 : bf16).put(e.getKey(), e.getValue());
        }
        Files.delete(dir.resolve("model.safetensors"));
        TinySnapshots.writeSafetensors(dir.resolve("model-a.safetensors"), f32, "F32", new java.util.Random(1));
        TinySnapshots.writeSafetensors(dir.resolve("model-b.safetensors"), f16, "F16", new java.util.Random(2));
        TinySnapshots.writeSafetensors(dir.resolve("model-c.safetensors"), bf16, "BF16", new java.util.Random(3));
        Qwen25VlSnapshot s = Qwen25VlSnapshot.open(dir);
        assertEquals(3, s.weightIndex().shards().size());
        String f32Name = f32.keySet().iterator().next(), f16Name = f16.keySet().iterator().next();
        assertEquals(WeightDtype.F32, s.weightIndex().entry(f32Name).dtype());
        assertEquals(WeightDtype.F16, s.weightIndex().entry(f16Name).dtype());
        try (TensorScope scope = TensorScope.open()) {
            Tensor a, b;
            try (SnapshotWeights w = s.openWeights()) {
                a = w.get(f32Name);
                b = w.get(f16Name);
            }
            // Views keep their mapping alive after close.
            assertEquals(org.bytedeco.pytorch.global.torch.ScalarType.Float, a.scalar_type().intern());
            assertEquals(org.bytedeco.pytorch.global.torch.ScalarType.Half, b.scalar_type().intern());
            java.util.Random r = new java.util.Random(1);
            float first = TinySnapshots.value(r);
            assertEquals(first, a.contiguous().view(-1).get(0).item_float(), 0f);
            assertTrue(Float.isFinite(b.to(org.bytedeco.pytorch.global.torch.ScalarType.Float).sum().item_float()));
        }
    }

    @Test void preprocessorConfigReadsBothPixelLimitSpellings() throws IOException {
        Files.writeString(tmp.resolve("a.json"), "{\"min_pixels\": 3136, \"max_pixels\": 12845056, \"resample\": 3}");
        Files.writeString(tmp.resolve("b.json"), "{\"size\": {\"shortest_edge\": 3136, \"longest_edge\": 1003520}}");
        assertEquals(PreprocessorConfig.defaults(), PreprocessorConfig.read(tmp.resolve("a.json")));
        PreprocessorConfig b = PreprocessorConfig.read(tmp.resolve("b.json"));
        assertEquals(1003520, b.maxPixels());
        assertEquals(28, b.factor());
        Files.writeString(tmp.resolve("c.json"), "{\"resample\": 2}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> PreprocessorConfig.read(tmp.resolve("c.json")));
        assertTrue(e.getMessage().contains("c.json") && e.getMessage().contains("BICUBIC"), e.getMessage());
    }

    @Test void generationConfigReadsEosLists() throws IOException {
        Files.writeString(tmp.resolve("g.json"), "{\"eos_token_id\": [151645, 151643], \"pad_token_id\": 151643, \"do_sample\": true, \"repetition_penalty\": 1.05, \"top_k\": 1}");
        GenerationConfig g = GenerationConfig.read(tmp.resolve("g.json"));
        assertEquals(List.of(151645, 151643), g.eosTokenIds());
        assertEquals(1.05, g.repetitionPenalty());
        assertTrue(g.doSample());
    }
}
