package org.leverplus.selector;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leverplus.io.TorchZipFile;
import org.leverplus.torch.TensorScope;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** Imports the .pt/.ckpt files written by tools/make_selector_fixtures.py with PyTorch 1.13. */
class CheckpointImportTest {
    static final Path FIX = Path.of("src/test/resources/selector-fixtures");

    static JsonNode expected() throws Exception {
        return new ObjectMapper().readTree(FIX.resolve("expected.json").toFile());
    }

    private static void assertValues(JsonNode exp, Tensor t, String name) {
        float[] v = Tensors.toFloats(t);
        assertEquals(exp.size(), v.length, name);
        for (int i = 0; i < v.length; i++) assertEquals(exp.get(i).asDouble(), v[i], 1e-7, name + "[" + i + "]");
    }

    @Test void rlPtImportsEveryParameterAndTheTrainingFacts(@TempDir Path dir) throws Exception {
        try (TensorScope s = TensorScope.open()) {
            Path out = dir.resolve("rl.safetensors");
            CheckpointImport.Result r = CheckpointImport.run(FIX.resolve("rl_v3.pt"), out, false);
            assertEquals("rce", r.metadata().get("phase"));
            assertEquals("4", r.metadata().get("source_epoch"));
            assertEquals("0.15", r.metadata().get("beta"));
            assertTrue(r.metadata().get("metrics").contains("\"val_loss\":7.25"), r.metadata().get("metrics"));
            JsonNode exp = expected().get("state_dict");
            exp.fieldNames().forEachRemaining(n -> assertValues(exp.get(n), r.tensors().get(n), n));
            try (SelectorCheckpoint.Loaded l = SelectorCheckpoint.load(out, SelectorCheckpoint.LoadOptions.strict())) {
                assertEquals(8, l.model().config().dModel());
                assertEquals(6, l.model().config().hiddenDim());
                assertEquals(1, l.model().config().numLayers());
                assertTrue(l.match().ok());
                assertValues(exp.get("cand_proj.weight"), l.model().parameters().get("cand_proj.weight"), "loaded cand_proj");
            }
            assertThrows(IllegalArgumentException.class, () -> CheckpointImport.run(FIX.resolve("rl_v3.pt"), out, false));
        }
    }

    @Test void lightningCkptMapsLegacyNamesAndDropsClip(@TempDir Path dir) throws Exception {
        try (TensorScope s = TensorScope.open()) {
            Path out = dir.resolve("sft.safetensors");
            CheckpointImport.Result r = CheckpointImport.run(FIX.resolve("sft_v2.ckpt"), out, false);
            JsonNode exp = expected().get("state_dict");
            assertEquals(exp.size(), r.tensors().size(), r.tensors().keySet().toString());
            exp.fieldNames().forEachRemaining(n -> assertValues(exp.get(n), r.tensors().get(n), n));
            assertTrue(r.notices().stream().anyMatch(n -> n.contains("sen_model.*")), r.notices().toString());
            assertTrue(r.notices().stream().anyMatch(n -> n.contains("img_model.*")), r.notices().toString());
            assertTrue(r.notices().stream().anyMatch(n -> n.contains("cross_attn.in_proj_weight -> cross_attn_layers.0.in_proj_weight")));
            assertTrue(SelectorCheckpoint.check(out, null, List.of(), List.of()).ok());
        }
    }

    @Test void bareTensorFile() throws Exception {
        try (TensorScope s = TensorScope.open()) {
            Object o = TorchZipFile.load(FIX.resolve("embeddings.pt"));
            Tensor t = assertInstanceOf(Tensor.class, o);
            assertArrayEquals(new long[]{10, 8}, Tensors.shape(t));
            assertValues(expected().get("embeddings"), t, "embeddings");
            Object ck = TorchZipFile.load(FIX.resolve("sft_v2.ckpt"));
            Map<?, ?> m = assertInstanceOf(Map.class, ck);
            assertEquals(12L, m.get("epoch"));
            assertEquals(1e-4, ((Map<?, ?>) m.get("hyper_parameters")).get("lr"));
        }
    }
}
