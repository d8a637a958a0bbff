package org.leverplus.io;

import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The one way Lever writes an output file: it appears only when it is complete. Bytes go to a hidden temporary file
 * in the same directory ({@code .<name>.<pid>.<random>.tmp}, created with the usual umask permissions);
 * {@link #commit()} flushes, fsyncs and renames it into place (without {@code overwrite} through a hard link, so a
 * file that appeared meanwhile is never replaced). Closing without a commit deletes the temporary file, and opening
 * an output first removes the temporary files of the same output left by processes that no longer run (a
 * {@code kill -9}), so they never accumulate.
 *
 * <pre>{@code
 * try (AtomicOutput out = AtomicOutput.create(path, overwrite)) {
 *     write(out.stream());
 *     out.commit();
 * }
 * }</pre>
 */
public final class AtomicOutput implements AutoCloseable {
    private static final Pattern TEMP = Pattern.compile("\\.(.+)\\.(\\d+)\\.[0-9a-f]+\\.tmp");

    private final Path target;
    private final Path temp;
    private final boolean overwrite;
    private final FileChannel channel;
    private OutputStream stream;
    private boolean committed;

    private AtomicOutput(Path target, Path temp, boolean overwrite, FileChannel channel) {
        this.target = target;
        this.temp = temp;
        this.overwrite = overwrite;
        this.channel = channel;
    }

    /**
     * Opens a temporary file next to {@code target} (creating its directory).
     *
     * @throws FileAlreadyExistsException if {@code target} exists and {@code overwrite} is false (checked now, so a
     *                                    long computation does not run only to be refused at the end, and again at commit)
     * @throws IOException                with a message in words: the target is a directory, its directory cannot be
     *                                    written, and so on
     */
    public static AtomicOutput create(Path target, boolean overwrite) throws IOException {
        Path abs = target.toAbsolutePath().normalize();
        checkTarget(abs, overwrite);
        Path dir = abs.getParent();
        try {
            Files.createDirectories(dir);
        } catch (FileAlreadyExistsException e) {
            throw new IOException(abs + ": cannot write the output: " + e.getFile() + " exists and is not a directory");
        } catch (IOException e) {
            throw new IOException(abs + ": cannot create the output's directory: " + reason(e));
        }
        removeStaleTemps(abs);
        ThreadLocalRandom rnd = ThreadLocalRandom.current();
        long pid = ProcessHandle.current().pid();
        for (int attempt = 0; ; attempt++) {
            Path temp = dir.resolve("." + abs.getFileName() + "." + pid + "." + Long.toHexString(rnd.nextLong() >>> 16) + ".tmp");
            try {
                // createFile (not createTempFile): the output gets the usual umask permissions, not 0600
                FileChannel ch = FileChannel.open(temp, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE);
                return new AtomicOutput(abs, temp, overwrite, ch);
            } catch (FileAlreadyExistsException e) {
                if (attempt >= 100) throw e;
            } catch (IOException e) {
                throw new IOException(abs + ": cannot write the output: " + reason(e));
            }
        }
    }

    /** The refusals every output shares: a directory in the way, or an existing file without overwrite. */
    public static void checkTarget(Path target, boolean overwrite) throws IOException {
        if (Files.isDirectory(target)) throw new IOException(target + ": the output path is a directory");
        if (!overwrite && Files.exists(target, java.nio.file.LinkOption.NOFOLLOW_LINKS))
            throw new FileAlreadyExistsException(target.toString(), null, "output exists; pass --overwrite to replace it");
    }

    /** An I/O failure in words (the JDK often gives only a path). */
    public static String reason(IOException e) {
        if (e instanceof FileSystemException f && f.getReason() != null && !(e instanceof FileAlreadyExistsException))
            return f.getReason().isEmpty() ? f.getReason() : Character.toLowerCase(f.getReason().charAt(0)) + f.getReason().substring(1);
        if (e instanceof AccessDeniedException) return "permission denied";
        if (e instanceof NoSuchFileException) return "no such file or directory";
        if (e instanceof NotDirectoryException) return "not a directory";
        if (e instanceof FileAlreadyExistsException) return "already exists";
        if (e instanceof FileSystemException f && f.getReason() != null) return f.getReason().toLowerCase(java.util.Locale.ROOT);
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    /**
     * Deletes {@code .<name>.<pid>.<random>.tmp} files (and staging directories of multi-file outputs) of
     * {@code target} whose process no longer runs (left by a kill). Those of live processes (another run writing the
     * same output now) are left alone.
     */
    public static void removeStaleTemps(Path target) {
        String name = target.getFileName().toString();
        try (DirectoryStream<Path> ds = Files.newDirectoryStream(target.getParent(), "." + globEscape(name) + ".*.tmp")) {
            for (Path p : ds) {
                Matcher m = TEMP.matcher(p.getFileName().toString());
                if (!m.matches() || !m.group(1).equals(name)) continue;
                long pid;
                try {
                    pid = Long.parseLong(m.group(2));
                } catch (NumberFormatException e) {
                    continue;
                }
                if (pid == ProcessHandle.current().pid() || ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)) continue;
                try {
                    if (Files.isDirectory(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) { // a staged multi-file output
                        try (var walk = Files.walk(p)) {
                            for (Path f : (Iterable<Path>) walk.sorted(java.util.Comparator.reverseOrder())::iterator) Files.deleteIfExists(f);
                        }
                    } else {
                        Files.deleteIfExists(p);
                    }
                } catch (IOException ignored) {
                    // not ours to delete (another user's directory): leave it
                }
            }
        } catch (IOException ignored) {
            // an unreadable directory fails later, when the temporary file is created, with a clear message
        }
    }

    private static String globEscape(String s) {
        StringBuilder b = new StringBuilder();
        for (char c : s.toCharArray()) {
            if ("*?[]{}\\".indexOf(c) >= 0) b.append('\\');
            b.append(c);
        }
        return b.toString();
    }

    /** The final path (absolute). */
    public Path target() {
        return target;
    }

    /** The stream to write to (buffered; do not close it yourself, {@link #commit()} does). */
    public OutputStream stream() {
        if (stream == null) stream = new BufferedOutputStream(Channels.newOutputStream(channel), 1 << 16);
        return stream;
    }

    /** The temporary file's channel, for writers that write large native buffers directly (not mixed with {@link #stream()}). */
    public FileChannel channel() {
        return channel;
    }

    /** Flushes, fsyncs and renames the temporary file onto the target. */
    public void commit() throws IOException {
        if (committed) return;
        try {
            if (stream != null) stream.flush();
            channel.force(true);
            channel.close();
        } catch (IOException e) {
            throw new IOException(target + ": cannot write the output: " + reason(e));
        }
        checkTarget(target, overwrite);
        if (overwrite) {
            try {
                Files.move(temp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } catch (AtomicMoveNotSupportedException e) {
                Files.move(temp, target, StandardCopyOption.REPLACE_EXISTING);
            }
        } else {
            try {
                Files.createLink(target, temp); // fails if the target appeared meanwhile: never replaced silently
                Files.delete(temp);
            } catch (FileAlreadyExistsException e) {
                throw new FileAlreadyExistsException(target.toString(), null, "output exists; pass --overwrite to replace it");
            } catch (UnsupportedOperationException | FileSystemException e) {
                Files.move(temp, target); // no hard links here: a plain rename that refuses an existing target
            }
        }
        committed = true;
        syncDirectory(target.getParent());
    }

    /** Makes the rename durable (best effort: not every file system lets a directory be opened). */
    private static void syncDirectory(Path dir) {
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | RuntimeException ignored) {
            // durability of the rename only; the file's bytes are already on disk
        }
    }

    /** Deletes the temporary file unless the output was committed. */
    @Override public void close() throws IOException {
        if (committed) return;
        try {
            channel.close();
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
