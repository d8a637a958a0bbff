package org.leverplus.io;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;

/**
 * Opens input files with errors that name the file and say what is wrong in words. On Linux a directory opens like
 * a file and fails only at the first read with a bare "Is a directory"; here it fails at once, naming the path.
 */
public final class Inputs {
    private Inputs() {}

    /**
     * Checks that {@code file} is a readable regular file.
     *
     * @param what what the file should be, for the message ("RL data file", "requests file")
     */
    public static void requireFile(Path file, String what) throws IOException {
        if (Files.isDirectory(file)) throw new FileSystemException(file.toString(), null, "is a directory, expected " + article(what) + " " + what);
        if (!Files.exists(file)) throw new NoSuchFileException(file.toString(), null, "no such " + what);
        if (!Files.isRegularFile(file)) throw new FileSystemException(file.toString(), null, "is not a regular file, expected " + article(what) + " " + what);
        if (!Files.isReadable(file)) throw new FileSystemException(file.toString(), null, "permission denied (" + what + ")");
    }

    /** {@link #requireFile} then a stream. */
    public static InputStream open(Path file, String what) throws IOException {
        requireFile(file, what);
        return Progress.wrap(Files.newInputStream(file), file.getFileName().toString(), Files.size(file));
    }

    private static String article(String what) {
        return "aeiouAEIOU.".indexOf(what.charAt(0)) >= 0 || what.startsWith("RL") ? "an" : "a";
    }
}
