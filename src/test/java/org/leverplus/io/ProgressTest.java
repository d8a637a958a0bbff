package org.leverplus.io;

import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ProgressTest {
    @Test void drawsBarRateAndEtaThenTheElapsedTime() {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        try (Progress p = Progress.to(new PrintStream(buf, true, StandardCharsets.UTF_8), "rce epoch 1/5", 200, "groups")) {
            p.advance(50);
        }
        String s = buf.toString(StandardCharsets.UTF_8);
        assertTrue(s.startsWith("\rrce epoch 1/5 [#######.......................] 50/200 groups"), s);
        assertTrue(s.contains("groups/s") && s.contains("ETA "), s);
        assertTrue(s.contains(" in 0:00") && s.endsWith(System.lineSeparator()), s);
    }

    @Test void quietOrNotATerminalDrawsNothing() {
        Progress.setQuiet(true);
        try {
            assertFalse(Progress.enabled());
        } finally {
            Progress.setQuiet(false);
        }
        if (System.console() == null && System.getenv("LEVER_PROGRESS") == null) assertFalse(Progress.enabled(), "tests do not run on a terminal");
    }
}
