package org.leverplus.io;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * An exclusive, advisory lock on a directory that one process writes into (a training run directory): the file
 * {@code .lever.lock} in it, locked with {@link FileChannel#tryLock()} and holding the owner's pid. The operating system
 * releases the lock when the process dies (also on {@code kill -9}), so a stale lock file never blocks a later run.
 * The file itself is left in place: deleting it would let a third process lock a new file while a second one still
 * waits on the old one.
 */
public final class DirectoryLock implements AutoCloseable {
    public static final String FILE = ".lever.lock";

    private final FileChannel channel;
    private final FileLock lock;

    private DirectoryLock(FileChannel channel, FileLock lock) {
        this.channel = channel;
        this.lock = lock;
    }

    /**
     * Locks {@code dir} (which must exist) or fails at once, naming the process that holds it.
     *
     * @param what what the directory is, for the message ("run directory")
     */
    public static DirectoryLock acquire(Path dir, String what) throws IOException {
        Path f = dir.resolve(FILE);
        FileChannel ch;
        try {
            ch = FileChannel.open(f, StandardOpenOption.CREATE, StandardOpenOption.READ, StandardOpenOption.WRITE);
        } catch (IOException e) {
            throw new IOException(dir + ": cannot lock the " + what + ": " + AtomicOutput.reason(e));
        }
        FileLock l;
        try {
            l = ch.tryLock();
        } catch (OverlappingFileLockException e) {
            l = null; // held by this JVM
        } catch (IOException e) {
            ch.close();
            throw new IOException(dir + ": cannot lock the " + what + ": " + AtomicOutput.reason(e));
        }
        if (l == null) {
            String owner = "";
            try {
                owner = Files.readString(f, StandardCharsets.UTF_8).strip();
            } catch (IOException ignored) {
                // the pid is only for the message
            }
            ch.close();
            throw new IllegalStateException(dir + ": another lever process" + (owner.isEmpty() ? "" : " (pid " + owner + ")")
                    + " is writing to this " + what + "; wait for it to finish or choose another directory");
        }
        ch.truncate(0);
        ch.write(ByteBuffer.wrap((ProcessHandle.current().pid() + "\n").getBytes(StandardCharsets.UTF_8)), 0);
        return new DirectoryLock(ch, l);
    }

    @Override public void close() throws IOException {
        try {
            channel.truncate(0); // the pid is only meaningful while the lock is held
            lock.release();
        } finally {
            channel.close();
        }
    }
}
