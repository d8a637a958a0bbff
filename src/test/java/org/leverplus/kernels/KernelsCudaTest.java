package org.leverplus.kernels;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The CUDA kernels against the LibTorch composites on the GPU; skipped with the reason where no device exists. */
class KernelsCudaTest {
    /** The optional library opens through the CPU library's dlopen path and reports the runtime's answer, device or not. */
    @Test
    void cudaLibraryOpensWhereverItWasBuilt() throws Exception {
        Kernels.load();
        java.io.File lib;
        try {
            lib = org.bytedeco.javacpp.Loader.cacheResource(Kernels.class, org.bytedeco.javacpp.Loader.getPlatform() + "/libleverkernels_cuda.so");
        } catch (Exception e) {
            lib = null;
        }
        if (lib == null) System.out.println("cudaLibraryOpensWhereverItWasBuilt skipped: built without nvcc");
        assumeTrue(lib != null, "libleverkernels_cuda.so not built (no nvcc at build time)");
        int n = LeverKernelsNative.lever_cuda_open(lib.getAbsolutePath());
        assertTrue(n > 0 || n <= -1000, "expected a device count or a CUDA runtime error, got " + n + ": " + LeverKernelsNative.lever_cuda_last_error());
        assertTrue(LeverKernelsNative.lever_cuda_loaded() == 1);
        if (n <= -1000) assertTrue(!LeverKernelsNative.lever_cuda_last_error().isEmpty());
        assertTrue(LeverKernelsNative.lever_cuda_open("/nonexistent/libleverkernels_cuda.so") == n || n > 0,
                "a second open reuses the loaded library");
    }

    @Tag("gpu")
    @Test
    void cudaKernelsMatchComposites() {
        Kernels.CudaStatus c = Kernels.cuda();
        if (!c.usable()) System.out.println("KernelsCudaTest skipped: " + c.detail());
        assumeTrue(c.usable(), "no usable CUDA device: " + c.detail());
        List<SelfCheck.Check> checks = SelfCheck.run(7, new org.bytedeco.pytorch.Device("cuda:0"));
        for (SelfCheck.Check k : checks) assertTrue(k.ok(), k.name() + " rel err " + k.relError());
    }
}
