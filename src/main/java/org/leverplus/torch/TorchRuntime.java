package org.leverplus.torch;

import org.bytedeco.javacpp.Loader;
import org.bytedeco.pytorch.Context;
import org.bytedeco.pytorch.global.torch;

/**
 * Loads LibTorch once and applies the settings every Lever process needs before its first tensor op:
 * <ul>
 *   <li>one intra-op thread for LibTorch's OpenMP pool by default, while OpenBLAS keeps its own pool for GEMMs:
 *       two pools spinning on the same cores made training 3x slower (javacpp-notes 2.3);</li>
 *   <li>flush-to-zero / denormals-are-zero on: without it CPU training slows 4-5x after about 1000 steps.</li>
 * </ul>
 * Override the thread count with {@code -Dlever.threads=N} or the {@code LEVER_THREADS} environment variable.
 */
public final class TorchRuntime {
    private static volatile boolean initialized;
    private static int threads;

    private TorchRuntime() {}

    /** Idempotent and thread-safe; cheap after the first call. */
    public static void init() {
        if (initialized) return;
        synchronized (TorchRuntime.class) {
            if (initialized) return;
            extractNatives();
            Loader.load(torch.class);
            threads = configuredThreads();
            torch.set_num_threads(threads);
            Context.setFlushDenormal(true);
            initialized = true;
        }
    }

    /**
     * Extracts LibTorch's and OpenBLAS's native directories completely before loading anything. JavaCPP otherwise
     * extracts and loads one library at a time, so on a cold cache (first run on a machine) libtorch.so is loaded
     * before libtorch_cpu.so exists beside it, and its dependency resolves to a system copy where one is installed
     * (Debian's libtorch 1.13, pulled in by python3-torch): two LibTorch versions in one process crash at load time.
     */
    private static void extractNatives() {
        String platform = Loader.getPlatform();
        for (String dir : new String[]{"/org/bytedeco/openblas/" + platform + "/", "/org/bytedeco/pytorch/" + platform + "/"}) {
            try {
                Loader.cacheResources(dir);
            } catch (java.io.IOException e) {
                throw new IllegalStateException("cannot extract native libraries " + dir + " into the JavaCPP cache "
                        + "(-Dorg.bytedeco.javacpp.cachedir): " + e.getMessage(), e);
            }
        }
    }

    /** LibTorch intra-op threads configured by {@link #init()}. */
    public static int threads() {
        init();
        return threads;
    }

    static int configuredThreads() {
        String v = System.getProperty("lever.threads");
        if (v == null || v.isBlank()) v = System.getenv("LEVER_THREADS");
        if (v == null || v.isBlank()) return 1;
        try {
            int n = Integer.parseInt(v.trim());
            if (n < 1) throw new NumberFormatException();
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("lever.threads / LEVER_THREADS must be a positive integer, got '" + v + "'");
        }
    }

    /** The LibTorch version string of the loaded presets (e.g. "2.10.0"). */
    public static String libtorchVersion() {
        init();
        String v = torch.class.getPackage().getImplementationVersion();  // "2.10.0-1.5.13": LibTorch version, preset release
        return v == null ? "unknown" : v.replaceFirst("-(\\d+\\.\\d+\\.\\d+)$", " (JavaCPP presets $1)");
    }

    /** Number of CUDA devices LibTorch sees (0 with the CPU natives). */
    public static long cudaDeviceCount() {
        init();
        try {
            return torch.cuda_device_count();
        } catch (Throwable t) {
            return 0;
        }
    }
}
