package org.leverplus.testing;

import org.bytedeco.javacpp.Pointer;

/**
 * Resident-set measurements for leak tests. RSS also counts Java heap pages the first time the JVM touches them, so a
 * leak test that runs early in a JVM could see the young generation being paged in and mistake it for a native leak.
 * {@link #baseline()} first allocates (and drops) more garbage than the young generation holds, so every heap page
 * the test's own allocations will reuse is already resident.
 */
public final class ResidentMemory {
    private ResidentMemory() {}

    /** Resident bytes after the young generation has been paged in. */
    public static long baseline() {
        long sink = 0;
        for (int i = 0; i < 768; i++) {  // 768 MiB of short-lived garbage > any young generation at -Xmx3g
            byte[] b = new byte[1 << 20];
            for (int j = 0; j < b.length; j += 4096) b[j] = (byte) j;  // touch every page
            sink += b[i & 4095];
        }
        if (sink == 42) System.out.print("");  // keep the loop
        return Pointer.physicalBytes();
    }

    public static long now() {
        return Pointer.physicalBytes();
    }
}
