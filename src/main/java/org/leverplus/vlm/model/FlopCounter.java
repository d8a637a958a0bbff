package org.leverplus.vlm.model;

import org.bytedeco.pytorch.Tensor;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts the matrix FLOPs the model actually executes (2 per multiply-add of every linear, attention product and
 * lm_head row), so benchmarks can compare engine settings by work done rather than by assumption.
 */
public final class FlopCounter {
    private static final AtomicLong FLOPS = new AtomicLong();

    private FlopCounter() {}

    /** {@code count} linears of the shape of {@code w} applied to every row of {@code x}. */
    static void linear(Tensor x, Tensor w, int count) {
        long rows = x.numel() / x.size(-1);
        FLOPS.addAndGet(2L * rows * w.size(0) * w.size(1) * count);
    }

    public static void add(long flops) { FLOPS.addAndGet(flops); }

    public static long get() { return FLOPS.get(); }

    public static void reset() { FLOPS.set(0); }
}
