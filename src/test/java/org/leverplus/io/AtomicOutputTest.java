package org.leverplus.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.*;

class AtomicOutputTest {
    @TempDir Path dir;

    private long files() throws IOException {
        try (var s = Files.list(dir)) {
            return s.count();
        }
    }

    @Test
    void nothingAppearsUntilCommit() throws Exception {
        Path out = dir.resolve("sub/out.txt");
        try (AtomicOutput o = AtomicOutput.create(out, false)) {
            o.stream().write("hello".getBytes());
            assertFalse(Files.exists(out));
            o.commit();
        }
        assertEquals("hello", Files.readString(out));
        try (var s = Files.list(out.getParent())) {
            assertEquals(1, s.count());
        }
    }

    @Test
    void failureLeavesNothing() throws Exception {
        Path out = dir.resolve("out.txt");
        assertThrows(IllegalStateException.class, () -> {
            try (AtomicOutput o = AtomicOutput.create(out, false)) {
                o.stream().write("partial".getBytes());
                throw new IllegalStateException("boom");
            }
        });
        assertFalse(Files.exists(out));
        assertEquals(0, files());
    }

    @Test
    void refusesToOverwriteUnlessAsked() throws Exception {
        Path out = dir.resolve("out.txt");
        Files.writeString(out, "old");
        assertThrows(FileAlreadyExistsException.class, () -> AtomicOutput.create(out, false));
        AtomicOutput.writeBytes(out, "new".getBytes(), true);
        assertEquals("new", Files.readString(out));
        assertEquals(1, files());
    }
}
