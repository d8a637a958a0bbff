package org.leverplus.io;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;

/**
 * An output file that appears only when it is complete: bytes go to a temporary file in the same directory, and
 * {@link #commit()} renames it into place. Closing without a commit deletes the temporary file, so a failed run
 * never leaves a partial or truncated output behind.
 *
 * <pre>{@code
 * try (AtomicOutput out = AtomicOutput.create(path, overwrite)) {
 *     write(out.stream());
 *     out.commit();
 * }
 * }</pre>
 */
public final class AtomicOutput implements AutoCloseable {
    private final Path target;
    private final Path temp;
    private final boolean overwrite;
    private OutputStream stream;
    private boolean committed;

    private AtomicOutput(Path target, Path temp, boolean overwrite) {
        this.target = target;
        this.temp = temp;
        this.overwrite = overwrite;
    }

    /**
     * Opens a temporary file next to {@code target}.
     *
     * @throws FileAlreadyExistsException if {@code target} exists and {@code overwrite} is false (checked now, so a
     *                                    long computation does not run only to be refused at the end, and again at commit)
     */
    public static AtomicOutput create(Path target, boolean overwrite) throws IOException {
        Path abs = target.toAbsolutePath();
        checkOverwrite(abs, overwrite);
        Path dir = abs.getParent();
        if (dir != null) Files.createDirectories(dir);
        // Files.createFile (not createTempFile): the output then gets the usual umask permissions, not 0600.
        java.util.concurrent.ThreadLocalRandom rnd = java.util.concurrent.ThreadLocalRandom.current();
        for (int attempt = 0; ; attempt++) {
            Path temp = dir.resolve("." + abs.getFileName() + "." + Long.toHexString(rnd.nextLong() >>> 16) + ".tmp");
            try {
                Files.createFile(temp);
                return new AtomicOutput(abs, temp, overwrite);
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 100) throw e;
            }
        }
    }

    private static void checkOverwrite(Path target, boolean overwrite) throws FileAlreadyExistsException {
        if (!overwrite && Files.exists(target))
            throw new FileAlreadyExistsException(target.toString(), null,
                    "output exists; pass --overwrite to replace it");
    }

    /** The final path (absolute). */
    public Path target() {
        return target;
    }

    /** The stream to write to (buffered; do not close it yourself, {@link #commit()} does). */
    public OutputStream stream() throws IOException {
        if (stream == null) stream = new java.io.BufferedOutputStream(Files.newOutputStream(temp), 1 << 16);
        return stream;
    }

    /** Flushes, syncs and renames the temporary file onto the target. */
    public void commit() throws IOException {
        if (committed) return;
        if (stream != null) {
            stream.flush();
            stream.close();
            stream = null;
        }
        checkOverwrite(target, overwrite);
        try {
            Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
        }
        committed = true;
    }

    /** Deletes the temporary file unless the output was committed. */
    @Override public void close() throws IOException {
        if (committed) return;
        try {
            if (stream != null) stream.close();
        } catch (IOException ignored) {
            // the temporary file is deleted below; a close failure on an abandoned file changes nothing
        } finally {
            Files.deleteIfExists(temp);
        }
    }

    /** Writes {@code bytes} to {@code target} atomically. */
    public static void writeBytes(Path target, byte[] bytes, boolean overwrite) throws IOException {
        try (AtomicOutput out = create(target, overwrite)) {
            out.stream().write(bytes);
            out.commit();
        }
    }
}
