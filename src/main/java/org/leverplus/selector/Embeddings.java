package org.leverplus.selector;

import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.leverplus.io.Safetensors;
import org.leverplus.io.SafetensorsFile;
import org.leverplus.io.TorchZipFile;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * The embedding matrix [N_train, d] that queries and candidates are gathered from (Lever-Plus's
 * {@code query_embeddings.pt}). Reads a PyTorch {@code .pt} holding a tensor (or a dict with exactly one tensor, or
 * with an {@code embeddings} entry) and safetensors files (tensor {@code embeddings}, or the only tensor).
 */
public final class Embeddings {
    private Embeddings() {}

    /** A float32 contiguous CPU copy of the matrix. */
    public static Tensor load(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new java.io.FileNotFoundException(file + ": embeddings file not found");
        Tensor t;
        String name = file.getFileName().toString();
        if (name.endsWith(".safetensors")) {
            try (SafetensorsFile f = Safetensors.open(file)) {
                String key = f.contains("embeddings") ? "embeddings" : f.names().size() == 1 ? f.names().get(0) : null;
                if (key == null) throw new IllegalArgumentException(file + ": expected a tensor named 'embeddings' or exactly one tensor, found " + f.names());
                t = f.get(key).to(ScalarType.Float).clone();
            }
        } else {
            Object o;
            try {
                o = TorchZipFile.load(file);
            } catch (IOException e) {
                throw new IOException(file + ": embeddings must be a .safetensors file or a PyTorch .pt file: " + e.getMessage(), e);
            }
            if (o instanceof Map<?, ?> m) {
                Object e = m.get("embeddings");
                if (e == null && m.size() == 1) e = m.values().iterator().next();
                o = e;
            }
            if (!(o instanceof Tensor tt)) throw new IllegalArgumentException(file + ": expected a tensor [N, d] (or a dict holding 'embeddings'), found "
                    + (o == null ? "None" : o.getClass().getSimpleName()));
            t = tt.to(ScalarType.Float);
        }
        if (t.dim() != 2) throw new IllegalArgumentException(file + ": embeddings must be [N, d], found " + java.util.Arrays.toString(Tensors.shape(t)));
        return t.contiguous();
    }
}
