package org.leverplus.io;

import java.nio.file.Path;

/**
 * Test helper run in a separate JVM: opens an {@link AtomicOutput} (args[0]) or a {@link DirectoryLock} (args[1] =
 * "lock"), prints "ready" and waits to be killed.
 */
public final class SlowWriterMain {
    public static void main(String[] args) throws Exception {
        Path p = Path.of(args[0]);
        if (args.length > 1 && args[1].equals("lock")) {
            DirectoryLock l = DirectoryLock.acquire(p, "run directory");
            System.out.println("ready");
            System.out.flush();
            Thread.sleep(60_000);
            l.close();
            return;
        }
        AtomicOutput o = AtomicOutput.create(p, false);
        o.stream().write(new byte[1 << 20]);
        o.stream().flush();
        System.out.println("ready");
        System.out.flush();
        Thread.sleep(60_000);
        o.close();
    }

    /** Starts this class in a new JVM and returns once it printed "ready". */
    public static Process start(String... args) throws Exception {
        String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(javaBin, "-cp", System.getProperty("java.class.path"), SlowWriterMain.class.getName());
        pb.command().addAll(java.util.List.of(args));
        pb.redirectErrorStream(true);
        Process p = pb.start();
        var in = new java.io.BufferedReader(new java.io.InputStreamReader(p.getInputStream()));
        String line = in.readLine();
        if (!"ready".equals(line)) {
            p.destroyForcibly();
            throw new IllegalStateException("helper JVM did not start: " + line);
        }
        return p;
    }
}
