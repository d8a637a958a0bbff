package org.leverplus.bench;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.leverplus.kernels.Composites;
import org.leverplus.kernels.Kernels;
import org.leverplus.torch.TensorScope;
import org.leverplus.torch.TorchRuntime;

import java.util.Arrays;
import java.util.function.Supplier;

/**
 * Kernel vs composite, interleaved call by call in one JVM so that background load hits both alike; prints the median
 * and the ratio. Complements KernelBench (JMH), whose runs are sequential and so more exposed to a busy machine.
 * Usage: -Dbench.main=org.leverplus.bench.KernelSideBySide -Djmh.args="answer 15 [f32|bf16] [chunkRows]" or "pointer 20000 [B]"
 */
public final class KernelSideBySide {
    public static void main(String[] args) {
        String what = args.length > 0 ? args[0] : "answer";
        int reps = args.length > 1 ? Integer.parseInt(args[1]) : 15;
        TorchRuntime.init();
        torch.manual_seed(2);
        Supplier<Tensor> kernel, composite;
        String shape;
        if (what.equals("answer")) {
            Tensor h = torch.randn(64, 2048), w = torch.randn(151_936, 2048).mul(new Scalar(0.02));
            Tensor t = torch.randint(0, 151_936, new long[]{64});
            boolean bf16 = args.length > 2 && args[2].equals("bf16");
            Tensor wk = bf16 ? w.to(torch.ScalarType.BFloat16).contiguous() : w;
            long chunk = args.length > 3 ? Long.parseLong(args[3]) : 0;
            kernel = () -> Kernels.answerTokenLogprobs(h, wk, t, chunk);
            composite = () -> Composites.answerTokenLogprobs(h, wk, t);
            shape = "answer_token_logprobs T=64 D=2048 V=151936 " + (bf16 ? "bf16" : "f32") + " weights, chunk " + (chunk == 0 ? "default" : chunk) + ", gemm=" + Kernels.cpuGemmBackend();
        } else {
            int b = args.length > 2 ? Integer.parseInt(args[2]) : 1;
            Tensor s = torch.randn(b, 64), m = torch.rand(b, 64).lt(new Scalar(0.05)), t = torch.randint(0, 64, new long[]{b});
            kernel = () -> Kernels.pointerStepLogprobs(s, m, t, 0.1).logprobs();
            composite = () -> Composites.pointerStep(s, m, t, 0.1).logprobs();
            shape = "pointer_step_logprobs B=" + b + " K=64";
        }
        for (int i = 0; i < Math.min(reps, 3); i++) { time(kernel); time(composite); }
        double[] k = new double[reps], c = new double[reps];
        for (int i = 0; i < reps; i++) {
            if (i % 2 == 0) { k[i] = time(kernel); c[i] = time(composite); }
            else { c[i] = time(composite); k[i] = time(kernel); }
        }
        double mk = median(k), mc = median(c);
        System.out.printf("%s: kernel median %.4f ms, composite median %.4f ms, composite/kernel = %.2fx (%d interleaved reps, %d LibTorch threads)%n",
                shape, mk, mc, mc / mk, reps, TorchRuntime.threads());
    }

    static double time(Supplier<Tensor> f) {
        try (TensorScope s = TensorScope.open()) {
            long t0 = System.nanoTime();
            f.get().data_ptr_float().get(0);
            return (System.nanoTime() - t0) / 1e6;
        }
    }

    static double median(double[] x) {
        double[] y = x.clone();
        Arrays.sort(y);
        return y[y.length / 2];
    }
}
