package org.leverplus.spark;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Models (any expensive per-JVM resource) loaded once per executor JVM and reused by every task that runs there,
 * keyed by what they were built from (stage, flags, device). Closed when the JVM exits.
 */
public final class ExecutorModels {
    /** Builds the resource on first use in this JVM. */
    @FunctionalInterface
    public interface Loader<T extends AutoCloseable> {
        T load() throws Exception;
    }

    private static final Map<String, AutoCloseable> MODELS = new ConcurrentHashMap<>();
    private static final AtomicInteger LOADS = new AtomicInteger();
    private static final ThreadLocal<int[]> LOADS_BY_THREAD = ThreadLocal.withInitial(() -> new int[1]);

    static {
        Runtime.getRuntime().addShutdownHook(new Thread(ExecutorModels::closeAll, "lever-executor-models"));
    }

    private ExecutorModels() {}

    /** The resource for {@code key}, loading it (once, even under concurrent tasks) when absent. */
    @SuppressWarnings("unchecked")
    public static <T extends AutoCloseable> T get(String key, Loader<T> loader) throws Exception {
        AutoCloseable m = MODELS.get(key);
        if (m != null) return (T) m;
        synchronized (MODELS) {
            m = MODELS.get(key);
            if (m == null) {
                m = loader.load();
                LOADS.incrementAndGet();
                LOADS_BY_THREAD.get()[0]++;
                MODELS.put(key, m);
            }
            return (T) m;
        }
    }

    /** How many resources this JVM has loaded so far. */
    public static int loads() { return LOADS.get(); }

    /** How many of them the calling thread loaded (a task runs on one thread: its own loads, exactly). */
    public static int loadsByThisThread() { return LOADS_BY_THREAD.get()[0]; }

    static synchronized void closeAll() {
        for (AutoCloseable m : MODELS.values()) {
            try {
                m.close();
            } catch (Exception ignored) {
                // the JVM is exiting; nothing useful can be done with a failed close
            }
        }
        MODELS.clear();
    }
}
