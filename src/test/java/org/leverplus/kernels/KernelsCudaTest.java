package org.leverplus.kernels;

import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The CUDA kernels against the LibTorch composites on the GPU; skipped with the reason where no device exists. */
@Tag("gpu")
class KernelsCudaTest {
    @Test
    void cudaKernelsMatchComposites() {
        Kernels.CudaStatus c = Kernels.cuda();
        if (!c.usable()) System.out.println("KernelsCudaTest skipped: " + c.detail());
        assumeTrue(c.usable(), "no usable CUDA device: " + c.detail());
        List<SelfCheck.Check> checks = SelfCheck.run(7, new org.bytedeco.pytorch.Device("cuda:0"));
        for (SelfCheck.Check k : checks) assertTrue(k.ok(), k.name() + " rel err " + k.relError());
    }
}
