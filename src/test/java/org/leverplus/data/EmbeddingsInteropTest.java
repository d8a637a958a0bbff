package org.leverplus.data;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.pytorch.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leverplus.io.Safetensors;
import org.leverplus.io.SafetensorsFile;
import org.leverplus.torch.TensorScope;

import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.*;

/** The pure-Java embedding files and the project's LibTorch safetensors reader/writer read each other's files. */
class EmbeddingsInteropTest {
    @TempDir Path dir;

    @Test
    void embeddingsFileOpensWithTheTorchReaderAndBack() throws Exception {
        float[] v = {0.5f, -1f, 2f, 3.5f, 4f, -6.25f};
        Path p = dir.resolve("e.safetensors");
        Embeddings.of(2, 3, v).writeSafetensors(p, Map.of("k", "v"), false);
        Safetensors.Header h = Safetensors.readHeader(p);
        assertEquals("v", h.metadata().get("k"));
        assertArrayEquals(new long[]{2, 3}, h.tensors().get(Embeddings.TENSOR_NAME).shape());
        Path back = dir.resolve("back.safetensors");
        try (TensorScope s = TensorScope.open(); SafetensorsFile f = Safetensors.open(p)) {
            Tensor t = f.get(Embeddings.TENSOR_NAME).contiguous();
            FloatPointer fp = new FloatPointer(t.data_ptr());
            for (int i = 0; i < v.length; i++) assertEquals(v[i], fp.get(i));
            Safetensors.write(back, Map.of("other_name", t.clone()), Map.of());
        }
        Embeddings e = Embeddings.readSafetensors(back);   // any single tensor name is accepted
        assertEquals(2, e.rows());
        assertArrayEquals(new float[]{3.5f, 4f, -6.25f}, e.row(1));
    }
}
