package org.leverplus.pipeline;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;

/**
 * Content identities for manifests. A file is identified by its SHA-256. A folder of inputs (an image folder of
 * 100,000 files) is identified by the names, sizes and modification times of its files, not their bytes: hashing
 * 13 GB of images before every run would cost minutes. A folder of stage outputs is hashed by content.
 */
final class Hashes {
    private Hashes() {}

    static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    static String hex(MessageDigest md) { return HexFormat.of().formatHex(md.digest()); }

    static String of(String s) {
        MessageDigest md = sha256();
        md.update(s.getBytes(StandardCharsets.UTF_8));
        return hex(md);
    }

    static String file(Path f) throws IOException {
        MessageDigest md = sha256();
        update(md, f);
        return hex(md);
    }

    private static void update(MessageDigest md, Path f) throws IOException {
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(f)) {
            for (int n; (n = in.read(buf)) > 0; ) md.update(buf, 0, n);
        }
    }

    /** "sha256:..." for a file, "listing:..." for a folder of inputs. */
    static String input(Path p) throws IOException {
        if (Files.isRegularFile(p)) return "sha256:" + file(p);
        MessageDigest md = sha256();
        for (Path f : files(p)) {
            md.update((p.relativize(f) + "\t" + Files.size(f) + "\t" + Files.getLastModifiedTime(f).toMillis() + "\n")
                    .getBytes(StandardCharsets.UTF_8));
        }
        return "listing:" + hex(md);
    }

    /**
     * The content hash of a stage's outputs: every regular file under {@code dir} except the manifest and hidden
     * files (journals, temporaries), by relative path and bytes.
     */
    static String outputs(Path dir) throws IOException {
        MessageDigest md = sha256();
        for (Path f : files(dir)) {
            String rel = dir.relativize(f).toString();
            if (rel.equals(Manifest.FILE) || f.getFileName().toString().startsWith(".")) continue;
            md.update((rel + "\n").getBytes(StandardCharsets.UTF_8));
            update(md, f);
        }
        return hex(md);
    }

    private static List<Path> files(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(Files::isRegularFile).sorted().toList();
        }
    }
}
