package org.leverplus.cli;

import org.leverplus.data.Embeddings;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code lever data import-npy}: NumPy embeddings to the project's safetensors format. */
@Command(name = "import-npy", mixinStandardHelpOptions = true, description = "Convert a NumPy .npy [N, d] float array into a safetensors embedding file (one F32 tensor).")
final class EmbeddingsCommand extends DataCommand.Sub {
    @Parameters(paramLabel = "NPY", description = "NumPy .npy file: float32 or float64, shape (N, d), C order; format 1.0, 2.0 or 3.0.") Path npy;
    @Option(names = "--out", required = true, description = "Output .safetensors file.") Path out;
    @Option(names = "--overwrite", description = "Replace an existing output.") boolean overwrite;

    @Override public Integer call() throws Exception {
        long[] shape = Embeddings.importNpy(npy, out, Map.of("source", npy.getFileName().toString()), overwrite);
        say("imported [%d, %d] float32 -> %s%n", shape[0], shape[1], out);
        return 0;
    }
}
