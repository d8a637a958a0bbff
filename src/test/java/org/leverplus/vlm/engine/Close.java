package org.leverplus.vlm.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Tolerance checks relative to the scale of the expected values. */
final class Close {
    private Close() {}

    /** max |a - e| <= rel * max(max |e|, 1e-6). */
    static void arrays(String what, float[] expected, float[] actual, double rel) {
        assertEquals(expected.length, actual.length, what + ": length");
        double maxAbs = 1e-6, maxDiff = 0;
        int worst = -1;
        for (int i = 0; i < expected.length; i++) {
            maxAbs = Math.max(maxAbs, Math.abs(expected[i]));
            double d = Math.abs(expected[i] - actual[i]);
            if (!(d <= maxDiff)) { maxDiff = d; worst = i; }
        }
        assertTrue(maxDiff <= rel * maxAbs, what + ": max diff " + maxDiff + " at " + worst + " (expected " + (worst >= 0 ? expected[worst] : 0)
                + ", got " + (worst >= 0 ? actual[worst] : 0) + ") exceeds " + rel + " x scale " + maxAbs);
    }

    /** |a - e| <= rel * max(|e|, 1). */
    static void scalar(String what, double expected, double actual, double rel) {
        assertTrue(Math.abs(expected - actual) <= rel * Math.max(Math.abs(expected), 1.0),
                what + ": expected " + expected + " got " + actual + " (rel " + rel + ")");
    }
}
