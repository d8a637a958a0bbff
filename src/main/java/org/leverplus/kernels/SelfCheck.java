package org.leverplus.kernels;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.leverplus.torch.TensorScope;

import java.util.ArrayList;
import java.util.List;

/** Runs every kernel against its LibTorch composite on fresh random inputs and reports the worst relative error. */
public final class SelfCheck {
    private SelfCheck() {}

    public record Check(String name, double relError, double tolerance) {
        public boolean ok() { return relError <= tolerance; }
    }

    /** Checks on the CPU, and on CUDA device 0 when the CUDA kernels are usable. */
    public static List<Check> run(long seed) {
        List<Check> out = new ArrayList<>();
        Kernels.load();
        out.addAll(run(seed, null));
        if (Kernels.cuda().usable()) out.addAll(run(seed, new Device("cuda:0")));
        return out;
    }

    static List<Check> run(long seed, Device device) {
        List<Check> out = new ArrayList<>();
        String where = device == null ? "cpu" : "cuda";
        torch.manual_seed(seed);
        try (TensorScope s = TensorScope.open()) {
            for (long[] bk : new long[][]{{1, 64}, {32, 64}, {5, 67}}) {
                Tensor scores = on(torch.randn(bk[0], bk[1]), device);
                Tensor mask = on(torch.rand(bk[0], bk[1]).lt(new org.bytedeco.pytorch.Scalar(0.2)), device);
                Tensor target = on(torch.randint(0, bk[1], new long[]{bk[0]}), device);
                Tensor got = Kernels.pointerStepLogprobs(scores, mask, target, 0.1).logprobs();
                Tensor ref = Composites.pointerStep(scores, mask, target, 0.1).logprobs();
                out.add(new Check(where + " pointer_step_logprobs B=" + bk[0] + " K=" + bk[1], relErr(got, ref), 1e-5));
                Tensor go = on(torch.randn(bk[0]), device);
                Tensor g = Kernels.pointerStepLogprobsBackward(scores, mask, target, 0.1, null, go);
                Tensor gref = Composites.pointerStepBackward(scores, mask, target, 0.1, go);
                out.add(new Check(where + " pointer_step_logprobs backward B=" + bk[0] + " K=" + bk[1], relErr(g, gref), 1e-5));
            }
            for (long[] tdv : new long[][]{{1, 64, 1000}, {13, 96, 5003}}) {
                Tensor h = on(torch.randn(tdv[0], tdv[1]), device);
                Tensor w = on(torch.randn(tdv[2], tdv[1]).mul(new org.bytedeco.pytorch.Scalar(0.2)), device);
                Tensor t = on(torch.randint(0, tdv[2], new long[]{tdv[0]}), device);
                out.add(new Check(where + " answer_token_logprobs f32 T=" + tdv[0] + " D=" + tdv[1] + " V=" + tdv[2],
                        relErr(Kernels.answerTokenLogprobs(h, w, t), Composites.answerTokenLogprobs(h, w, t)), 1e-5));
                Tensor wb = w.to(ScalarType.BFloat16).contiguous();
                out.add(new Check(where + " answer_token_logprobs bf16 T=" + tdv[0] + " D=" + tdv[1] + " V=" + tdv[2],
                        relErr(Kernels.answerTokenLogprobs(h, wb, t), Composites.answerTokenLogprobs(h, wb, t)), 1e-2));
            }
        }
        return out;
    }

    /** max |a-b| / max(1, |b|) elementwise; NaN anywhere counts as infinite error. */
    public static double relErr(Tensor a, Tensor b) {
        Tensor ad = a.to(ScalarType.Double).cpu(), bd = b.to(ScalarType.Double).cpu();
        if (ad.isnan().any().item_bool()) return Double.POSITIVE_INFINITY;
        Tensor denom = bd.abs().clamp_min(new org.bytedeco.pytorch.Scalar(1.0));
        return ad.sub(bd).abs().div(denom).max().item_double();
    }

    private static Tensor on(Tensor t, Device d) {
        return d == null ? t.contiguous() : t.to(d, t.scalar_type().intern()).contiguous();
    }
}
