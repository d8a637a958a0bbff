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
        if (Files.isDirectory(file)) throw new IllegalArgumentException(file + ": embeddings path is a directory, expected a file");
        if (!Files.isRegularFile(file)) throw new java.io.FileNotFoundException(file + ": embeddings file not found");
        Tensor t;
        if (!isZip(file)) { // the format is chosen by content, not by the file name: PyTorch files are zips
            try (SafetensorsFile f = Safetensors.open(file)) {
                String key = f.contains("embeddings") ? "embeddings" : f.names().size() == 1 ? f.names().get(0) : null;
                if (key == null) throw new IllegalArgumentException(file + ": expected a tensor named 'embeddings' or exactly one tensor, found " + f.names());
                var dt = f.info(key).dtype();
                if (dt != org.leverplus.io.SafetensorsDtype.F32 && dt != org.leverplus.io.SafetensorsDtype.F64
                        && dt != org.leverplus.io.SafetensorsDtype.F16 && dt != org.leverplus.io.SafetensorsDtype.BF16)
                    throw new IllegalArgumentException(file + ": tensor '" + key + "' holds " + dt + " values; embeddings must be floating point (F32, F64, F16 or BF16)");
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
                    + TorchZipFile.describe(o));
            if (!tt.is_floating_point())
                throw new IllegalArgumentException(file + ": the tensor holds " + tt.scalar_type().intern() + " values; embeddings must be floating point");
            t = tt.to(ScalarType.Float);
        }
        if (t.dim() != 2) throw new IllegalArgumentException(file + ": embeddings must be [N, d], found " + java.util.Arrays.toString(Tensors.shape(t)));
        t = t.contiguous();
        requireFinite(t, file + ": embeddings");
        return t;
    }

    private static boolean isZip(Path file) throws IOException {
        try (java.io.InputStream in = Files.newInputStream(file)) {
            byte[] b = in.readNBytes(4);
            return b.length == 4 && b[0] == 'P' && b[1] == 'K' && b[2] == 3 && b[3] == 4;
        }
    }

    /** An error naming the first row of a [N, d] matrix that holds NaN or an infinity. */
    public static void requireFinite(Tensor t, String what) {
        if (t.numel() == 0) return;
        Tensor rowOk = org.bytedeco.pytorch.global.torch.isfinite(t).reshape(t.size(0), -1).all(1);
        if (rowOk.all().item_bool()) return;
        long row = Tensors.toLongs(rowOk.logical_not().nonzero().select(1, 0).narrow(0, 0, 1))[0];
        throw new IllegalArgumentException(what + ": row " + row + " holds NaN or an infinite value");
    }
}
