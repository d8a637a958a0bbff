package org.leverplus.kernels;

import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.leverplus.torch.TensorScope;

import static org.junit.jupiter.api.Assertions.*;

/** Each kernel against its LibTorch composite on fresh random inputs, and the facade's argument checks. */
class KernelsTest {
    private TensorScope scope = TensorScope.open();

    @AfterEach void close() {
        Kernels.forceBuiltinGemm(false);
        scope.close();
    }

    private static Tensor nanLike(long... shape) {
        return torch.full(shape, new Scalar(Float.NaN));
    }

    @ParameterizedTest(name = "B={0} K={1} maskProb={2}")
    @CsvSource({"1,64,0.0", "1,1,0.0", "32,64,0.3", "7,67,0.5", "3,129,0.9", "16,8,1.0"})
    void pointerStepMatchesCompositeAndWritesEveryOutput(long b, long k, double maskProb) {
        torch.manual_seed(b * 1000 + k);
        Tensor scores = torch.randn(b, k);
        Tensor mask = torch.rand(b, k).lt(new Scalar(maskProb));  // maskProb 1.0: fully masked rows
        Tensor target = torch.randint(0, k, new long[]{b});
        // native call on poisoned outputs: every element must be written
        Tensor out = nanLike(b), lse = nanLike(b);
        int rc = LeverKernelsNative.lever_pointer_step_logprobs_f32(scores.data_ptr(), mask.view(ScalarType.Byte).data_ptr(),
                target.data_ptr(), 10f, b, k, 0, out.data_ptr(), lse.data_ptr());
        assertEquals(0, rc);
        Kernels.StepResult ref = Composites.pointerStep(scores, mask, target, 0.1);
        assertTrue(SelfCheck.relErr(out, ref.logprobs()) <= 1e-5, "forward rel err " + SelfCheck.relErr(out, ref.logprobs()));
        assertTrue(SelfCheck.relErr(lse, ref.lse()) <= 1e-5, "lse");
        Tensor viaFacade = Kernels.pointerStepLogprobs(scores, mask, target, 0.1).logprobs();
        assertTrue(out.equal(viaFacade));

        Tensor go = torch.randn(b);
        Tensor grad = nanLike(b, k);
        rc = LeverKernelsNative.lever_pointer_step_logprobs_backward_f32(scores.data_ptr(), mask.view(ScalarType.Byte).data_ptr(),
                target.data_ptr(), 10f, b, k, lse.data_ptr(), go.data_ptr(), grad.data_ptr());
        assertEquals(0, rc);
        Tensor gref = Composites.pointerStepBackward(scores, mask, target, 0.1, go);
        assertTrue(SelfCheck.relErr(grad, gref) <= 1e-5, "backward rel err " + SelfCheck.relErr(grad, gref));
        // recomputed lse gives the same gradient
        assertTrue(SelfCheck.relErr(Kernels.pointerStepLogprobsBackward(scores, mask, target, 0.1, null, go), gref) <= 1e-5);
    }

    @Test
    void differentiableStepGivesAutogradGradients() {
        torch.manual_seed(5);
        Tensor w = torch.randn(6, 64).requires_grad_(true);
        Tensor mask = torch.rand(6, 64).lt(new Scalar(0.2));
        Tensor target = torch.randint(0, 64, new long[]{6});
        Tensor loss = Kernels.pointerStepLogprobsDifferentiable(w.mul(new Scalar(2.0)), mask, target, 0.1).sum();
        loss.backward();
        Tensor g1 = w.grad().clone();
        Tensor w2 = w.detach().clone().requires_grad_(true);
        Composites.pointerStep(w2.mul(new Scalar(2.0)), mask, target, 0.1).logprobs().sum().backward();
        assertTrue(SelfCheck.relErr(g1, w2.grad()) <= 1e-5, "chain rule through the surrogate");
        assertEquals(Composites.pointerStep(w2.mul(new Scalar(2.0)), mask, target, 0.1).logprobs().sum().item_double(),
                loss.item_double(), 1e-4);
    }

    @ParameterizedTest(name = "T={0} D={1} V={2} chunk={3} builtin={4}")
    @CsvSource({"1,64,1000,0,false", "5,37,1031,100,false", "5,37,1031,100,true", "17,128,5003,0,true",
            "64,256,20011,0,false", "3,16,7,1,false", "8,64,3001,3001,true"})
    void answerLogprobsMatchCompositeInFloat32(long t, long d, long v, long chunk, boolean builtin) {
        Kernels.forceBuiltinGemm(builtin);
        torch.manual_seed(t * 7 + v);
        Tensor h = torch.randn(t, d);
        Tensor w = torch.randn(v, d).mul(new Scalar(0.5));
        Tensor target = torch.randint(0, v, new long[]{t});
        Tensor out = nanLike(t);
        int rc = LeverKernelsNative.lever_answer_token_logprobs(h.data_ptr(), w.data_ptr(), Kernels.F32, target.data_ptr(),
                t, d, v, chunk, 1, out.data_ptr(), null);
        assertEquals(0, rc);
        double err = SelfCheck.relErr(out, Composites.answerTokenLogprobs(h, w, target));
        assertTrue(err <= 1e-5, "rel err " + err);
    }

    @ParameterizedTest(name = "T={0} D={1} V={2}")
    @CsvSource({"4,64,1000", "9,96,4099"})
    void answerLogprobsWithBf16Weights(long t, long d, long v) {
        torch.manual_seed(v);
        Tensor h = torch.randn(t, d);
        Tensor w = torch.randn(v, d).mul(new Scalar(0.3)).to(ScalarType.BFloat16).contiguous();
        Tensor target = torch.randint(0, v, new long[]{t});
        double err = SelfCheck.relErr(Kernels.answerTokenLogprobs(h, w, target), Composites.answerTokenLogprobs(h, w, target));
        assertTrue(err <= 1e-2, "rel err " + err);
    }

    @Test
    void kernelsOffFallsBackToComposites() {
        torch.manual_seed(9);
        Tensor h = torch.randn(3, 8), w = torch.randn(50, 8), t = torch.randint(0, 50, new long[]{3});
        System.setProperty("lever.kernels", "off");
        try {
            assertTrue(Kernels.answerTokenLogprobs(h, w, t).equal(Composites.answerTokenLogprobs(h, w, t)));
        } finally {
            System.clearProperty("lever.kernels");
        }
    }

    @Test
    void scratchMemoryIsTinyComparedWithTheComposite() {
        long t = 64, d = 2048, v = 151_936;
        long composite = 2 * t * v * 4;  // logits + log_softmax output, float32
        assertTrue(Kernels.answerTokenLogprobsScratchBytes(t, d, v, false, 0) < composite / 100);
    }

    private static void assertRejected(String fragment, org.junit.jupiter.api.function.Executable call) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
        assertTrue(e.getMessage().contains(fragment), "message '" + e.getMessage() + "' lacks '" + fragment + "'");
    }

    @Test
    void badArgumentsGiveClearErrors() {
        Tensor s = torch.randn(4, 10), t = torch.randint(0, 10, new long[]{4});
        assertRejected("scores must be float32", () -> Kernels.pointerStepLogprobs(s.to(ScalarType.Double), null, t, 0.1));
        assertRejected("scores must have 2 dimensions", () -> Kernels.pointerStepLogprobs(s.view(40), null, t, 0.1));
        assertRejected("scores must be contiguous", () -> Kernels.pointerStepLogprobs(torch.randn(10, 4).t(), null, t, 0.1));
        assertRejected("mask must have the shape", () -> Kernels.pointerStepLogprobs(s, torch.zeros(4, 9).to(ScalarType.Bool), t, 0.1));
        assertRejected("mask must be bool or uint8", () -> Kernels.pointerStepLogprobs(s, torch.zeros(4, 10), t, 0.1));
        assertRejected("target must be int64", () -> Kernels.pointerStepLogprobs(s, null, t.to(ScalarType.Int), 0.1));
        assertRejected("target must be [4]", () -> Kernels.pointerStepLogprobs(s, null, torch.zeros(new long[]{3}, new org.bytedeco.pytorch.TensorOptions(ScalarType.Long)), 0.1));
        assertRejected("ids must be in [0,10), found 10", () -> Kernels.pointerStepLogprobs(s, null, torch.full(new long[]{4}, new Scalar(10L), new org.bytedeco.pytorch.TensorOptions(ScalarType.Long)), 0.1));
        assertRejected("found -1", () -> Kernels.pointerStepLogprobs(s, null, torch.full(new long[]{4}, new Scalar(-1L), new org.bytedeco.pytorch.TensorOptions(ScalarType.Long)), 0.1));
        assertRejected("temperature must be a positive", () -> Kernels.pointerStepLogprobs(s, null, t, 0.0));
        Tensor h = torch.randn(2, 8), w = torch.randn(30, 8), at = torch.randint(0, 30, new long[]{2});
        assertRejected("weight must be [V,8]", () -> Kernels.answerTokenLogprobs(h, torch.randn(30, 9), at));
        assertRejected("weight must be float32 or bfloat16", () -> Kernels.answerTokenLogprobs(h, w.to(ScalarType.Half), at));
        assertRejected("weight must be contiguous", () -> Kernels.answerTokenLogprobs(h, torch.randn(8, 30).t(), at));
        assertRejected("hidden must be float32", () -> Kernels.answerTokenLogprobs(h.to(ScalarType.BFloat16), w, at));
        assertRejected("ids must be in [0,30), found 30", () -> Kernels.answerTokenLogprobs(h, w, torch.full(new long[]{2}, new Scalar(30L), new org.bytedeco.pytorch.TensorOptions(ScalarType.Long))));
        assertEquals(Kernels.E_TARGET, LeverKernelsNative.lever_answer_token_logprobs(h.data_ptr(), w.data_ptr(), Kernels.F32,
                torch.full(new long[]{2}, new Scalar(30L), new org.bytedeco.pytorch.TensorOptions(ScalarType.Long)).data_ptr(),
                2, 8, 30, 0, 1, torch.empty(2).data_ptr(), null), "the C ABI checks ranges too");
    }
}
