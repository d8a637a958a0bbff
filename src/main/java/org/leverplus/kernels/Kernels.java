package org.leverplus.kernels;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;
import org.leverplus.torch.TorchRuntime;

import java.io.File;
import java.util.ArrayList;
import java.util.List;

/**
 * Checked entry points to Lever's kernels on LibTorch tensors. Every call checks device, dtype, contiguity, shapes
 * and index ranges in Java and throws {@link IllegalArgumentException} naming the argument, the expectation and what
 * was found, before any native code runs. CPU tensors run the CPU kernels; CUDA tensors run the CUDA kernels when
 * libleverkernels_cuda.so is available (on the legacy default stream, which LibTorch also uses unless told otherwise).
 * With {@code -Dlever.kernels=off} the same methods compute the LibTorch composites of {@link Composites} instead.
 */
public final class Kernels {
    /** Kernel error codes from lever_kernels.h. */
    static final int E_ARG = -1, E_TARGET = -2, E_NO_CUDA = -3, E_CUDA = -4, E_ALLOC = -5;
    static final int F32 = 0, BF16 = 1;

    private static volatile CudaStatus cuda;

    private Kernels() {}

    /** Result of a pointer step: log-probabilities [B] and the row log-sum-exp [B] (kept for the backward). */
    public record StepResult(Tensor logprobs, Tensor lse) {}

    /** Whether the custom kernels are used ({@code -Dlever.kernels=off} switches to the LibTorch composites). */
    public static boolean enabled() {
        return !"off".equalsIgnoreCase(System.getProperty("lever.kernels", "on"));
    }

    /** Loads LibTorch and libleverkernels.so; returns the kernel ABI version. */
    public static int load() {
        TorchRuntime.init();
        return LeverKernelsNative.lever_kernels_abi();
    }

    /** "blas" when the CPU answer kernel multiplies with the process's OpenBLAS sgemm, "builtin" otherwise. */
    public static String cpuGemmBackend() {
        load();
        return LeverKernelsNative.lever_cpu_gemm_backend() == 1 ? "blas" : "builtin";
    }

    /** Tests and benchmarks: force the built-in GEMM loops instead of BLAS. */
    public static void forceBuiltinGemm(boolean force) {
        load();
        LeverKernelsNative.lever_cpu_force_builtin_gemm(force ? 1 : 0);
    }

    // ------------------------------------------------------------------ pointer step

    /**
     * Pointer-selector step: {@code z = mask ? -100 : scores / temperature}, {@code out[b] = log_softmax(z[b])[target[b]]}.
     *
     * @param scores      float32 [B,K], contiguous (CPU or CUDA)
     * @param mask        bool or uint8 [B,K] of already-chosen candidates, or null
     * @param target      int64 [B], each in [0,K)
     * @param temperature positive
     */
    public static StepResult pointerStepLogprobs(Tensor scores, Tensor mask, Tensor target, double temperature) {
        Tensor m = checkStep("pointerStepLogprobs", scores, mask, target, temperature);
        if (!enabled()) return Composites.pointerStep(scores, mask, target, temperature);
        return stepForward(scores, m, target, temperature);
    }

    /**
     * Backward of {@link #pointerStepLogprobs}: {@code dL/dscores} [B,K] given {@code gradOut = dL/dout} [B].
     * {@code lse} may be null (recomputed).
     */
    public static Tensor pointerStepLogprobsBackward(Tensor scores, Tensor mask, Tensor target, double temperature,
                                                     Tensor lse, Tensor gradOut) {
        String op = "pointerStepLogprobsBackward";
        Tensor m = checkStep(op, scores, mask, target, temperature);
        long b = scores.size(0);
        checkFloat(op, "gradOut", gradOut, 1);
        checkSameDevice(op, "gradOut", gradOut, scores);
        if (gradOut.size(0) != b) throw new IllegalArgumentException(op + ": gradOut must be [" + b + "], got " + desc(gradOut));
        if (lse != null) {
            checkFloat(op, "lse", lse, 1);
            checkSameDevice(op, "lse", lse, scores);
            if (lse.size(0) != b) throw new IllegalArgumentException(op + ": lse must be [" + b + "], got " + desc(lse));
        }
        if (!enabled()) return Composites.pointerStepBackward(scores, mask, target, temperature, gradOut);
        return stepBackward(scores, m, target, temperature, lse, gradOut);
    }

    /**
     * The pointer step as a differentiable LibTorch expression: the value comes from the kernel, and the gradient
     * with respect to {@code scores} is the kernel's backward, attached through the linear surrogate
     * {@code v + sum(scores * g) - sum(scores * g).detach()} with {@code g = d out/d scores} (exact first derivatives;
     * no second derivatives). {@code scores} may require grad; the result is [B]. The inputs are checked once for
     * both kernel calls (this runs at every decoding step of training).
     */
    public static Tensor pointerStepLogprobsDifferentiable(Tensor scores, Tensor mask, Tensor target, double temperature) {
        Tensor s = scores.detach().contiguous();
        Tensor m = checkStep("pointerStepLogprobsDifferentiable", s, mask, target, temperature);
        if (!enabled()) {
            if (!scores.requires_grad()) return Composites.pointerStep(s, mask, target, temperature).logprobs();
            return Composites.pointerStep(scores, mask, target, temperature).logprobs();  // autograd through the composite
        }
        StepResult r = stepForward(s, m, target, temperature);
        if (!scores.requires_grad()) return r.logprobs();
        Tensor g = stepBackward(s, m, target, temperature, r.lse(), torch.ones_like(r.logprobs()));
        Tensor lin = scores.mul(g).sum(new long[]{1}, false, new org.bytedeco.pytorch.ScalarTypeOptional());
        return r.logprobs().add(lin).sub(lin.detach());
    }

    /** The checks every pointer-step entry point shares; returns the mask as uint8 (or null). */
    private static Tensor checkStep(String op, Tensor scores, Tensor mask, Tensor target, double temperature) {
        load();
        checkFloat(op, "scores", scores, 2);
        long b = scores.size(0), k = scores.size(1);
        if (k == 0) throw new IllegalArgumentException(op + ": scores must have K >= 1 candidates, got shape " + desc(scores));
        Tensor m = maskBytes(op, mask, scores);
        checkTargets(op, "target", target, scores, b, k);
        checkTemperature(op, temperature);
        return m;
    }

    /** Forward kernel on checked inputs ({@code m}: uint8 mask or null). */
    private static StepResult stepForward(Tensor scores, Tensor m, Tensor target, double temperature) {
        long b = scores.size(0), k = scores.size(1);
        Tensor out = poisoned(new long[]{b}, scores);
        Tensor lse = poisoned(new long[]{b}, scores);
        float invT = (float) (1.0 / temperature);
        int rc = scores.is_cuda()
                ? LeverKernelsNative.lever_cuda_pointer_step_logprobs_f32(scores.data_ptr(), ptr(m), target.data_ptr(), invT,
                        b, k, out.data_ptr(), lse.data_ptr(), null)
                : LeverKernelsNative.lever_pointer_step_logprobs_f32(scores.data_ptr(), ptr(m), target.data_ptr(), invT,
                        b, k, 0, out.data_ptr(), lse.data_ptr());
        check("pointerStepLogprobs", rc);
        return new StepResult(out, lse);
    }

    /** Backward kernel on checked inputs. */
    private static Tensor stepBackward(Tensor scores, Tensor m, Tensor target, double temperature, Tensor lse, Tensor gradOut) {
        long b = scores.size(0), k = scores.size(1);
        Tensor grad = poisoned(new long[]{b, k}, scores);
        float invT = (float) (1.0 / temperature);
        int rc = scores.is_cuda()
                ? LeverKernelsNative.lever_cuda_pointer_step_logprobs_backward_f32(scores.data_ptr(), ptr(m), target.data_ptr(),
                        invT, b, k, ptr(lse), gradOut.data_ptr(), grad.data_ptr(), null)
                : LeverKernelsNative.lever_pointer_step_logprobs_backward_f32(scores.data_ptr(), ptr(m), target.data_ptr(),
                        invT, b, k, ptr(lse), gradOut.data_ptr(), grad.data_ptr());
        check("pointerStepLogprobsBackward", rc);
        return grad;
    }

    // ------------------------------------------------------------------ answer scoring

    /**
     * {@code log p(target_t) = h_t . w_target - logsumexp_v(h_t . w_v)} without materialising the [T,V] logits.
     *
     * @param hidden float32 [T,D], contiguous
     * @param weight float32 or bfloat16 [V,D], contiguous (the output embedding / lm_head)
     * @param target int64 [T], each in [0,V)
     * @return float32 [T]
     */
    public static Tensor answerTokenLogprobs(Tensor hidden, Tensor weight, Tensor target) {
        return answerTokenLogprobs(hidden, weight, target, 0);
    }

    /** As {@link #answerTokenLogprobs(Tensor, Tensor, Tensor)} with an explicit V-chunk size (0 = default). */
    public static Tensor answerTokenLogprobs(Tensor hidden, Tensor weight, Tensor target, long chunkRows) {
        load();
        String op = "answerTokenLogprobs";
        checkFloat(op, "hidden", hidden, 2);
        long t = hidden.size(0), d = hidden.size(1);
        if (weight == null) throw new IllegalArgumentException(op + ": weight is null");
        ScalarType wt = weight.scalar_type().intern();
        if (wt != ScalarType.Float && wt != ScalarType.BFloat16)
            throw new IllegalArgumentException(op + ": weight must be float32 or bfloat16, got " + desc(weight));
        if (weight.dim() != 2 || weight.size(1) != d)
            throw new IllegalArgumentException(op + ": weight must be [V," + d + "] to match hidden " + desc(hidden) + ", got " + desc(weight));
        if (!weight.is_contiguous()) throw new IllegalArgumentException(op + ": weight must be contiguous, got " + desc(weight));
        checkSameDevice(op, "weight", weight, hidden);
        long v = weight.size(0);
        if (v == 0) throw new IllegalArgumentException(op + ": weight has no rows (V = 0)");
        checkTargets(op, "target", target, hidden, t, v);
        if (chunkRows < 0) throw new IllegalArgumentException(op + ": chunkRows must be >= 0, got " + chunkRows);
        if (!enabled()) return Composites.answerTokenLogprobs(hidden, weight, target);
        Tensor out = poisoned(new long[]{t}, hidden);
        int dtype = wt == ScalarType.BFloat16 ? BF16 : F32;
        int rc;
        if (hidden.is_cuda()) {
            long ws = LeverKernelsNative.lever_cuda_answer_token_logprobs_workspace_bytes(t, v);
            if (ws < 0) check(op, (int) ws);
            Tensor workspace = torch.empty(new long[]{Math.max(ws, 1)}, hidden.options().dtype(new org.bytedeco.pytorch.ScalarTypeOptional(ScalarType.Byte)), new org.bytedeco.pytorch.MemoryFormatOptional());
            rc = LeverKernelsNative.lever_cuda_answer_token_logprobs(hidden.data_ptr(), weight.data_ptr(), dtype,
                    target.data_ptr(), t, d, v, workspace.data_ptr(), out.data_ptr(), null, null);
        } else {
            rc = LeverKernelsNative.lever_answer_token_logprobs(hidden.data_ptr(), weight.data_ptr(), dtype,
                    target.data_ptr(), t, d, v, chunkRows, TorchRuntime.threads(), out.data_ptr(), null);
        }
        check(op, rc);
        return out;
    }

    /** Scratch bytes the CPU answer kernel allocates for these sizes. */
    public static long answerTokenLogprobsScratchBytes(long t, long d, long v, boolean bf16Weights, long chunkRows) {
        load();
        return LeverKernelsNative.lever_answer_token_logprobs_scratch_bytes(t, d, v, bf16Weights ? BF16 : F32, chunkRows);
    }

    // ------------------------------------------------------------------ CUDA library

    /** What is known about the optional CUDA kernel library. */
    public record CudaStatus(boolean libraryFound, String libraryPath, int deviceCount, String detail) {
        public boolean usable() { return libraryFound && deviceCount > 0; }
    }

    /**
     * Finds and opens libleverkernels_cuda.so: {@code -Dlever.kernels.cuda.path}, then the copy inside the jar /
     * class path (built whenever nvcc was present at build time). Never throws; see {@link CudaStatus#detail()}.
     */
    public static CudaStatus cuda() {
        CudaStatus s = cuda;
        if (s != null) return s;
        synchronized (Kernels.class) {
            if (cuda != null) return cuda;
            load();
            List<String> tried = new ArrayList<>();
            String explicit = System.getProperty("lever.kernels.cuda.path");
            String path = null;
            if (explicit != null && !explicit.isBlank()) {
                tried.add(explicit);
                if (new File(explicit).isFile()) path = explicit;
            } else {
                String res = Loader.getPlatform() + "/libleverkernels_cuda.so";
                tried.add("class path resource org/leverplus/kernels/" + res);
                try {
                    File f = Loader.cacheResource(Kernels.class, res);
                    if (f != null && f.isFile()) path = f.getAbsolutePath();
                } catch (Exception e) {
                    // not packaged: built without nvcc
                }
            }
            if (path == null) {
                cuda = new CudaStatus(false, null, 0, "libleverkernels_cuda.so not found (tried " + String.join(", ", tried)
                        + "); it is built only where nvcc exists");
                return cuda;
            }
            if (!nvidiaDriverPresent()) {  // load the CUDA library only where a device can exist
                cuda = new CudaStatus(true, path, 0, "no NVIDIA driver or device on this machine (/dev/nvidiactl and "
                        + "/proc/driver/nvidia absent); " + path + " not loaded");
                return cuda;
            }
            int n = LeverKernelsNative.lever_cuda_open(path);
            String err = LeverKernelsNative.lever_cuda_last_error();
            if (n == E_NO_CUDA) cuda = new CudaStatus(false, path, 0, "cannot open " + path + ": " + err);
            else if (n < 0) cuda = new CudaStatus(true, path, 0, "no usable CUDA device: " + err + " (code " + (-n - 1000) + ")");
            else cuda = new CudaStatus(true, path, n, n + " CUDA device(s)");
            return cuda;
        }
    }

    /** Whether an NVIDIA kernel driver is visible ({@code -Dlever.kernels.cuda.force=true} skips the check). */
    static boolean nvidiaDriverPresent() {
        if (Boolean.getBoolean("lever.kernels.cuda.force")) return true;
        return new File("/dev/nvidiactl").exists() || new File("/proc/driver/nvidia").exists();
    }

    // ------------------------------------------------------------------ checks

    static String desc(Tensor t) {
        if (t == null) return "null";
        StringBuilder sb = new StringBuilder();
        sb.append(t.scalar_type().intern()).append(java.util.Arrays.toString(t.sizes().vec().get()));
        sb.append(t.is_cuda() ? " cuda" : " cpu");
        if (!t.is_contiguous()) sb.append(" non-contiguous");
        return sb.toString();
    }

    private static void checkFloat(String op, String name, Tensor t, int dims) {
        if (t == null) throw new IllegalArgumentException(op + ": " + name + " is null");
        if (t.scalar_type().intern() != ScalarType.Float)
            throw new IllegalArgumentException(op + ": " + name + " must be float32, got " + desc(t));
        if (t.dim() != dims) throw new IllegalArgumentException(op + ": " + name + " must have " + dims + " dimensions, got " + desc(t));
        if (!t.is_contiguous()) throw new IllegalArgumentException(op + ": " + name + " must be contiguous, got " + desc(t));
        checkDevice(op, name, t);
    }

    private static void checkDevice(String op, String name, Tensor t) {
        if (t.is_cuda()) {
            CudaStatus c = cuda();
            if (!c.usable()) throw new IllegalStateException(op + ": " + name + " is a CUDA tensor but the CUDA kernels are unavailable: " + c.detail());
        } else if (!t.is_cpu()) {
            throw new IllegalArgumentException(op + ": " + name + " must be on the CPU or a CUDA device, got " + desc(t));
        }
    }

    private static void checkSameDevice(String op, String name, Tensor t, Tensor ref) {
        if (t.is_cuda() != ref.is_cuda() || (t.is_cuda() && t.device().index() != ref.device().index()))
            throw new IllegalArgumentException(op + ": " + name + " must be on the same device as the other inputs, got " + desc(t) + " vs " + desc(ref));
    }

    private static void checkTemperature(String op, double temperature) {
        if (!(temperature > 0) || Double.isInfinite(temperature))
            throw new IllegalArgumentException(op + ": temperature must be a positive finite number, got " + temperature);
    }

    /** Mask as contiguous uint8 on the scores' device, or null. */
    private static Tensor maskBytes(String op, Tensor mask, Tensor scores) {
        if (mask == null) return null;
        ScalarType mt = mask.scalar_type().intern();
        if (mt != ScalarType.Bool && mt != ScalarType.Byte)
            throw new IllegalArgumentException(op + ": mask must be bool or uint8, got " + desc(mask));
        if (mask.dim() != 2 || mask.size(0) != scores.size(0) || mask.size(1) != scores.size(1))
            throw new IllegalArgumentException(op + ": mask must have the shape of scores " + desc(scores) + ", got " + desc(mask));
        if (!mask.is_contiguous()) throw new IllegalArgumentException(op + ": mask must be contiguous, got " + desc(mask));
        checkSameDevice(op, "mask", mask, scores);
        return mt == ScalarType.Bool ? mask.view(ScalarType.Byte) : mask;  // same bytes, no copy
    }

    private static void checkTargets(String op, String name, Tensor target, Tensor ref, long rows, long limit) {
        if (target == null) throw new IllegalArgumentException(op + ": " + name + " is null");
        if (target.scalar_type().intern() != ScalarType.Long)
            throw new IllegalArgumentException(op + ": " + name + " must be int64, got " + desc(target));
        if (target.dim() != 1 || target.size(0) != rows)
            throw new IllegalArgumentException(op + ": " + name + " must be [" + rows + "], got " + desc(target));
        if (!target.is_contiguous()) throw new IllegalArgumentException(op + ": " + name + " must be contiguous, got " + desc(target));
        checkSameDevice(op, name, target, ref);
        if (rows == 0) return;
        long lo = target.min().item_long(), hi = target.max().item_long();  // host sync on CUDA: the price of a clear error
        if (lo < 0 || hi >= limit)
            throw new IllegalArgumentException(op + ": " + name + " ids must be in [0," + limit + "), found "
                    + (lo < 0 ? lo : hi));
    }

    private static Tensor poisoned(long[] shape, Tensor like) {
        return torch.full(shape, new Scalar(Float.NaN), like.options());  // every element must be written by the kernel
    }

    private static Pointer ptr(Tensor t) {
        return t == null ? null : t.data_ptr();
    }

    private static void check(String op, int rc) {
        switch (rc) {
            case 0 -> { }
            case E_ARG -> throw new IllegalArgumentException(op + ": the kernel rejected its arguments");
            case E_TARGET -> throw new IllegalArgumentException(op + ": a target index is out of range or masked");
            case E_NO_CUDA -> throw new IllegalStateException(op + ": the CUDA kernel library is not loaded");
            case E_CUDA -> throw new IllegalStateException(op + ": CUDA error: " + LeverKernelsNative.lever_cuda_last_error());
            case E_ALLOC -> throw new OutOfMemoryError(op + ": the kernel could not allocate its scratch memory");
            default -> throw new IllegalStateException(op + ": kernel returned unknown code " + rc);
        }
    }
}
