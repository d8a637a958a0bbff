package org.leverplus.train;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch;
import org.junit.jupiter.api.Test;
import org.leverplus.selector.PointerSelector;
import org.leverplus.selector.SelectorConfig;
import org.leverplus.torch.TensorScope;
import org.leverplus.torch.TorchRuntime;

import java.util.List;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

/** The RCE loss on a CUDA device equals the CPU value (skipped, with the reason printed, when no GPU is visible). */
class CudaSelectorTest {
    @Test void rceLossOnCudaMatchesCpu() {
        long n = TorchRuntime.cudaDeviceCount();
        if (n == 0) System.out.println("CudaSelectorTest skipped: LibTorch sees no CUDA device (CPU natives or no GPU)");
        assumeTrue(n > 0, "no CUDA device");
        try (TensorScope s = TensorScope.open(); PointerSelector m = PointerSelector.create(SelectorConfig.defaults().withSizes(8, 6, 1), 3)) {
            m.train(false);
            torch.manual_seed(1);
            Tensor emb = torch.randn(30, 8);
            List<TrainGroup> gs = List.of(LossesTest.group("a", 1, 7, 5, new Random(2), false), LossesTest.group("b", 2, 4, 3, new Random(3), false));
            double cpu = SelectorLosses.rce(m, GroupBatch.of(gs, emb), SelectorLosses.rceWeights(GroupBatch.of(gs, emb), 1.0, true),
                    PointerSelector.DropoutSharing.PER_GROUP).item_double();
            Device dev = new Device("cuda:0");
            m.to(dev);
            Tensor embGpu = emb.to(dev, org.bytedeco.pytorch.global.torch.ScalarType.Float);
            GroupBatch b = GroupBatch.of(gs, embGpu);
            double gpu = SelectorLosses.rce(m, b, SelectorLosses.rceWeights(b, 1.0, true), PointerSelector.DropoutSharing.PER_GROUP).item_double();
            assertEquals(cpu, gpu, 1e-4 * Math.abs(cpu));
        }
    }
}
