package org.leverplus.cli;

import org.bytedeco.javacpp.Loader;
import org.leverplus.kernels.Kernels;
import org.leverplus.torch.TorchRuntime;
import picocli.CommandLine.Command;

import java.io.File;
import java.util.concurrent.Callable;

/** {@code lever doctor}: what this machine gives Lever, and whether anything required is missing. */
@Command(name = "doctor", description = "Check the Java runtime, LibTorch, the kernel library and the caches.")
final class DoctorCommand implements Callable<Integer> {
    @Override public Integer call() {
        int problems = 0;
        line("java", System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ", " + System.getProperty("java.home") + ")");
        line("platform", Loader.getPlatform() + ", " + Runtime.getRuntime().availableProcessors() + " cores, max heap "
                + (Runtime.getRuntime().maxMemory() >> 20) + " MiB");
        line("javacpp cache", String.valueOf(safeCacheDir()));
        try {
            TorchRuntime.init();
            line("libtorch", TorchRuntime.libtorchVersion() + ", intra-op threads " + TorchRuntime.threads()
                    + ", flush-denormal on, CUDA devices seen by LibTorch: " + TorchRuntime.cudaDeviceCount());
        } catch (Throwable t) {
            line("libtorch", "MISSING: " + LeverCli.describe(t));
            problems++;
        }
        try {
            int abi = Kernels.load();
            line("kernels (cpu)", "libleverkernels.so loaded, ABI " + abi + ", answer GEMM: " + Kernels.cpuGemmBackend());
            Kernels.CudaStatus c = Kernels.cuda();
            line("kernels (cuda)", (c.libraryFound() ? "library found" : "library not found") + "; " + c.detail());
        } catch (Throwable t) {
            line("kernels (cpu)", "MISSING: " + LeverCli.describe(t));
            problems++;
        }
        line("status", problems == 0 ? "ok" : problems + " required component(s) missing");
        return problems == 0 ? 0 : LeverCli.EXIT_FAILURE;
    }

    private static void line(String what, String value) {
        System.out.printf("%-16s %s%n", what, value);
    }

    private static File safeCacheDir() {
        try {
            return Loader.getCacheDir();
        } catch (Exception e) {
            return null;
        }
    }
}
