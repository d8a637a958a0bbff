package org.leverplus.vlm;

import org.leverplus.vlm.text.QwenTokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.zip.GZIPInputStream;

/**
 * The real Qwen2.5-VL tokenizer for tests: {@code qwen25-tokenizer.json.gz} (made by
 * {@code tools/vlm/make-qwen25-tokenizer.sh}) unpacked once per JVM into a temp directory, loaded once.
 */
public final class TestTokenizers {
    private static Path dir;
    private static QwenTokenizer tokenizer;

    private TestTokenizers() {}

    /** A directory holding only {@code tokenizer.json} (a minimal snapshot for tokenizer-only tools). */
    public static synchronized Path snapshotDir() {
        if (dir == null) {
            try {
                Path d = Files.createTempDirectory("lever-qwen25-tokenizer");
                try (InputStream in = new GZIPInputStream(TestTokenizers.class.getResourceAsStream("qwen25-tokenizer.json.gz"))) {
                    Files.copy(in, d.resolve("tokenizer.json"), StandardCopyOption.REPLACE_EXISTING);
                }
                d.resolve("tokenizer.json").toFile().deleteOnExit();
                d.toFile().deleteOnExit();
                dir = d;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return dir;
    }

    public static synchronized QwenTokenizer qwen25() {
        if (tokenizer == null) {
            try {
                tokenizer = QwenTokenizer.load(snapshotDir().resolve("tokenizer.json"));
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return tokenizer;
    }
}
