package org.leverplus.pipeline;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Runs a {@code lever} command line in a fresh JVM, as {@code bin/lever} would: same Java, same class path, native
 * access enabled, one LibTorch intra-op thread unless {@code OMP_NUM_THREADS} says otherwise. Each pipeline stage gets
 * its own process, so native state one stage leaves behind (LibTorch, JavaCPP scopes, the kernels' thread pools)
 * can never reach the next one, and a stage that crashes natively fails only itself (with its exit code).
 */
public final class ProcessRunner implements CommandStage.Runner {
    private final String mainClass;

    public ProcessRunner(String mainClass) { this.mainClass = mainClass; }

    @Override public int run(List<String> args) throws IOException, InterruptedException {
        List<String> cmd = new ArrayList<>();
        cmd.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        cmd.add("-Xmx" + Math.max(256, Runtime.getRuntime().maxMemory() >> 20) + "m");
        cmd.add("-XX:+UseSerialGC");
        cmd.add("--enable-native-access=ALL-UNNAMED");
        for (String p : List.of("org.bytedeco.javacpp.cachedir", "org.bytedeco.javacpp.maxPhysicalBytes", "lever.threads", "lever.kernels")) {
            String v = System.getProperty(p);
            if (v != null) cmd.add("-D" + p + "=" + v);
        }
        cmd.add("-cp");
        cmd.add(System.getProperty("java.class.path"));
        cmd.add(mainClass);
        cmd.addAll(args);
        ProcessBuilder pb = new ProcessBuilder(cmd).inheritIO();
        pb.environment().putIfAbsent("OMP_NUM_THREADS", "1");
        // bin/lever's allocator settings (see there): speed only, never results
        pb.environment().putIfAbsent("MALLOC_ARENA_MAX", "1");
        pb.environment().putIfAbsent("MALLOC_MMAP_MAX_", "0");
        pb.environment().putIfAbsent("MALLOC_TRIM_THRESHOLD_", "268435456");
        Process p = pb.start();
        try {
            return p.waitFor();
        } catch (InterruptedException e) {
            p.destroyForcibly();
            throw e;
        }
    }
}
