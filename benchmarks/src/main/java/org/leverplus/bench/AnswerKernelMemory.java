package org.leverplus.bench;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.leverplus.kernels.Composites;
import org.leverplus.kernels.Kernels;
import org.leverplus.torch.TensorScope;
import org.leverplus.torch.TorchRuntime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Peak extra resident memory of one answer-scoring call, kernel vs composite, at T=64, D=2048, V=151,936 (float32).
 * Linux's high-water mark is reset (clear_refs 5) before each call and read after it; extra = VmHWM - VmRSS before.
 * Usage: -Dbench.main=org.leverplus.bench.AnswerKernelMemory -Djmh.args="kernel|composite"  (one mode per JVM).
 */
public final class AnswerKernelMemory {
    static long status(String key) throws IOException {
        for (String line : Files.readAllLines(Path.of("/proc/self/status")))
            if (line.startsWith(key + ":")) return Long.parseLong(line.replaceAll("\\D", "")) * 1024;
        throw new IllegalStateException(key);
    }

    public static void main(String[] args) throws IOException {
        String mode = args.length > 0 ? args[0] : "kernel";
        TorchRuntime.init();
        torch.manual_seed(2);
        Tensor hidden = torch.randn(64, 2048);
        Tensor weight = torch.randn(151_936, 2048).mul(new Scalar(0.02));
        Tensor target = torch.randint(0, 151_936, new long[]{64});
        for (int warm = 0; warm < 2; warm++) {  // first calls size thread pools and allocator caches
            try (TensorScope s = TensorScope.open()) {
                (mode.equals("kernel") ? Kernels.answerTokenLogprobs(hidden, weight, target)
                        : Composites.answerTokenLogprobs(hidden, weight, target)).sum().item_float();
            }
        }
        long extraMin = Long.MAX_VALUE;
        for (int rep = 0; rep < 3; rep++) {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
            long before = status("VmRSS");
            try (TensorScope s = TensorScope.open()) {
                (mode.equals("kernel") ? Kernels.answerTokenLogprobs(hidden, weight, target)
                        : Composites.answerTokenLogprobs(hidden, weight, target)).sum().item_float();
            }
            extraMin = Math.min(extraMin, status("VmHWM") - before);
        }
        long scratch = Kernels.answerTokenLogprobsScratchBytes(64, 2048, 151_936, false, 0);
        System.out.printf("%s: peak extra RSS %.2f MiB (min of 3); kernel scratch by construction %.3f MiB; composite tensors by construction %.2f MiB%n",
                mode, extraMin / 1048576.0, scratch / 1048576.0, 2.0 * 64 * 151_936 * 4 / 1048576.0);
    }
}
