package org.leverplus.bench;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.leverplus.kernels.Composites;
import org.leverplus.kernels.Kernels;
import org.leverplus.torch.TensorScope;
import org.leverplus.torch.TorchRuntime;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

import java.util.concurrent.TimeUnit;

/**
 * Lever's kernels against the LibTorch composites they replace, on the shapes the pipeline uses:
 * the pointer step at B query groups x K=64 pool, and VLM answer scoring at T=64 answer tokens, D=2048, V=151,936
 * (Qwen2.5-VL-3B's hidden size and vocabulary), float32 weights.
 */
@State(org.openjdk.jmh.annotations.Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xmx4g"})
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
public class KernelBench {
    @State(org.openjdk.jmh.annotations.Scope.Benchmark)
    public static class PointerState {
        @Param({"1", "32"}) public int b;
        Tensor scores, mask, target;

        @Setup(Level.Trial) public void setup() {
            TorchRuntime.init();
            torch.manual_seed(1);
            scores = torch.randn(b, 64);
            mask = torch.rand(b, 64).lt(new Scalar(0.05));
            target = torch.randint(0, 64, new long[]{b});
        }
    }

    @State(org.openjdk.jmh.annotations.Scope.Benchmark)
    public static class AnswerState {
        Tensor hidden, weight, target;

        @Setup(Level.Trial) public void setup() {
            TorchRuntime.init();
            torch.manual_seed(2);
            hidden = torch.randn(64, 2048);
            weight = torch.randn(151_936, 2048).mul(new Scalar(0.02));
            target = torch.randint(0, 151_936, new long[]{64});
        }

        @TearDown(Level.Trial) public void tearDown() {
            weight.close();
        }
    }

    @Benchmark @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public float pointerStepKernel(PointerState s) {
        try (TensorScope sc = TensorScope.open()) {
            return Kernels.pointerStepLogprobs(s.scores, s.mask, s.target, 0.1).logprobs().data_ptr_float().get(0);
        }
    }

    @Benchmark @OutputTimeUnit(TimeUnit.MICROSECONDS)
    public float pointerStepComposite(PointerState s) {
        try (TensorScope sc = TensorScope.open()) {
            return Composites.pointerStep(s.scores, s.mask, s.target, 0.1).logprobs().data_ptr_float().get(0);
        }
    }

    @Benchmark @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public float answerKernel(AnswerState s) {
        try (TensorScope sc = TensorScope.open()) {
            return Kernels.answerTokenLogprobs(s.hidden, s.weight, s.target).data_ptr_float().get(0);
        }
    }

    @Benchmark @OutputTimeUnit(TimeUnit.MILLISECONDS)
    public float answerComposite(AnswerState s) {
        try (TensorScope sc = TensorScope.open()) {
            return Composites.answerTokenLogprobs(s.hidden, s.weight, s.target).data_ptr_float().get(0);
        }
    }
}
