package org.leverplus.cli;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.leverplus.io.Safetensors;
import org.leverplus.torch.TensorScope;
import org.leverplus.torch.TorchRuntime;
import org.leverplus.vlm.Qwen25VlSnapshot;
import org.leverplus.vlm.image.PixelValues;
import org.leverplus.vlm.image.QwenImageProcessor;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code lever vlm preprocess}: images to {@code pixel_values} and {@code image_grid_thw} in a safetensors file. */
@Command(name = "preprocess", description = {
        "Preprocess images exactly as Qwen2.5-VL's processor (PIL decode + bicubic smart_resize, CLIP normalisation, patch rows).",
        "Writes pixel_values (float32 [rows, 1176]) and image_grid_thw (int64 [n, 3]), images in argument order. Reads preprocessor_config.json."})
final class VlmPreprocessCommand implements Callable<Integer> {
    @Option(names = "--snapshot", required = true, paramLabel = "DIR", description = "Snapshot directory (only preprocessor_config.json is read).")
    Path snapshot;

    @Parameters(arity = "1..*", paramLabel = "IMAGE", description = "JPEG or PNG files.")
    List<Path> images;

    @Option(names = "--out", required = true, paramLabel = "FILE", description = "Output .safetensors file (written atomically).")
    Path out;

    @Option(names = "--threads", defaultValue = "2", description = "Decode/resize threads (default ${DEFAULT-VALUE}).")
    int threads;

    @Option(names = "--overwrite", description = "Replace an existing output file.")
    boolean overwrite;

    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Override public Integer call() throws Exception {
        if (Files.exists(out) && !overwrite) throw new FileAlreadyExistsException(out + ": output exists (use --overwrite to replace it)");
        QwenImageProcessor proc = new QwenImageProcessor(Qwen25VlSnapshot.open(snapshot).preprocessorConfig());
        PixelValues pv = proc.processAll(images, threads);
        TorchRuntime.init();
        try (TensorScope scope = TensorScope.open()) {
            Map<String, Tensor> tensors = new LinkedHashMap<>();
            tensors.put("pixel_values", torch.from_blob(new FloatPointer(pv.data()), new long[]{pv.rows(), pv.rowSize()},
                    new TensorOptions(torch.ScalarType.Float)).clone());
            tensors.put("image_grid_thw", torch.from_blob(new LongPointer(pv.gridThw()), new long[]{pv.grids().size(), 3},
                    new TensorOptions(torch.ScalarType.Long)).clone());
            Safetensors.write(out, tensors, Map.of("format", "pt", "producer", "lever vlm preprocess"));
        }
        spec.commandLine().getOut().printf("wrote %s: %d images, pixel_values [%d, %d], image_grid_thw [%d, 3]%n",
                out, pv.grids().size(), pv.rows(), pv.rowSize(), pv.grids().size());
        spec.commandLine().getOut().flush();
        return 0;
    }
}
