package org.leverplus.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.List;

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

    private List<String> names() throws IOException {
        try (var s = Files.list(dir)) {
            return s.map(f -> f.getFileName().toString()).sorted().toList();
        }
    }

    @Test
    void killNineLeavesATempThatTheNextWriterOfTheSameOutputRemoves() throws Exception {
        Path out = dir.resolve("out.json");
        Process p = SlowWriterMain.start(out.toString());
        assertEquals(1, names().size(), "the writer's temp file: " + names());
        assertTrue(names().get(0).startsWith(".out.json.") && names().get(0).endsWith(".tmp"), names().toString());
        // another output in the same directory is not touched by the cleanup, and a live writer's temp file neither
        AtomicOutput.writeBytes(dir.resolve("other.json"), "x".getBytes(), false);
        assertEquals(2, names().size(), names().toString());
        p.destroyForcibly(); // SIGKILL: no finally block runs
        p.waitFor();
        assertEquals(2, names().size(), "the killed writer's temp file is still there: " + names());
        AtomicOutput.writeBytes(out, "done".getBytes(), false);
        assertEquals(List.of("other.json", "out.json"), names());
    }

    @Test
    void liveWritersTempFilesAreKept() throws Exception {
        Path out = dir.resolve("out.json");
        Process p = SlowWriterMain.start(out.toString());
        try {
            AtomicOutput.writeBytes(out, "mine".getBytes(), false);
            assertEquals(2, names().size(), "the live writer's temp file stays: " + names());
        } finally {
            p.destroyForcibly();
            p.waitFor();
        }
    }

    @Test
    void outputsHonourTheUmaskLikeAnyNewFile() throws Exception {
        Path plain = dir.resolve("plain");
        Files.createFile(plain);
        Path out = dir.resolve("out.bin");
        AtomicOutput.writeBytes(out, new byte[]{1}, false);
        assertEquals(PosixFilePermissions.toString(Files.getPosixFilePermissions(plain)),
                PosixFilePermissions.toString(Files.getPosixFilePermissions(out)));
    }

    @Test
    void aFileThatAppearsBeforeCommitIsNeverReplacedWithoutOverwrite() throws Exception {
        Path out = dir.resolve("out.txt");
        try (AtomicOutput o = AtomicOutput.create(out, false)) {
            o.stream().write("mine".getBytes());
            Files.writeString(out, "theirs");
            FileAlreadyExistsException e = assertThrows(FileAlreadyExistsException.class, o::commit);
            assertTrue(e.getMessage().contains("--overwrite"), e.getMessage());
        }
        assertEquals("theirs", Files.readString(out));
        assertEquals(List.of("out.txt"), names());
    }

    @Test
    void aDirectoryInTheWayIsNamedInWords() throws Exception {
        Path out = dir.resolve("d");
        Files.createDirectory(out);
        IOException e = assertThrows(IOException.class, () -> AtomicOutput.create(out, true));
        assertTrue(e.getMessage().contains("is a directory") && e.getMessage().contains(out.toString()), e.getMessage());
        Path file = dir.resolve("f");
        Files.writeString(file, "");
        e = assertThrows(IOException.class, () -> AtomicOutput.create(file.resolve("x.json"), true));
        assertTrue(e.getMessage().contains("not a directory"), e.getMessage());
    }

    @Test
    void directoryLockRefusesASecondProcessUntilTheFirstDies() throws Exception {
        Process p = SlowWriterMain.start(dir.toString(), "lock");
        try {
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> DirectoryLock.acquire(dir, "run directory"));
            assertTrue(e.getMessage().contains("pid " + p.pid()), e.getMessage());
        } finally {
            p.destroyForcibly();
            p.waitFor();
        }
        try (DirectoryLock l = DirectoryLock.acquire(dir, "run directory")) {
            assertNotNull(l); // the OS released the killed process's lock
        }
    }
}
