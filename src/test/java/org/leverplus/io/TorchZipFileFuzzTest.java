package org.leverplus.io;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leverplus.torch.TensorScope;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * The .pt reader's bounds checks: the pickle of a real Lever-Plus checkpoint cut at many positions, and with bytes
 * flipped at random, either loads or fails with an IOException naming the file, never with another exception (no
 * BufferUnderflowException, OutOfMemoryError or LibTorch error).
 */
class TorchZipFileFuzzTest {
    static final Path FIXTURE = Path.of("src/test/resources/selector-fixtures/rl_v3.pt");

    @Test void truncatedAndCorruptedPicklesFailCleanly(@TempDir Path dir) throws Exception {
        Map<String, byte[]> entries = new LinkedHashMap<>();
        String pkl = null;
        try (ZipFile z = new ZipFile(FIXTURE.toFile())) {
            for (var en = z.entries(); en.hasMoreElements(); ) {
                ZipEntry e = en.nextElement();
                entries.put(e.getName(), z.getInputStream(e).readAllBytes());
                if (e.getName().endsWith("data.pkl")) pkl = e.getName();
            }
        }
        byte[] pickle = entries.get(pkl);
        Random rnd = new Random(11);
        int failures = 0;
        for (int i = 0; i < 240; i++) {
            byte[] p;
            if (i < 120) {
                p = java.util.Arrays.copyOf(pickle, (int) ((long) i * pickle.length / 120)); // cut
            } else {
                p = pickle.clone();
                for (int k = 0; k < 3; k++) p[rnd.nextInt(p.length)] = (byte) rnd.nextInt(256); // flipped bytes
            }
            Map<String, byte[]> m = new LinkedHashMap<>(entries);
            m.put(pkl, p);
            Path f = dir.resolve("case" + i + ".pt");
            write(f, m);
            try (TensorScope s = TensorScope.open()) {
                TorchZipFile.load(f);
            } catch (IOException e) {
                failures++;
                assertTrue(e.getMessage().contains(f.toString()), "the error names the file: " + e.getMessage());
            } catch (Throwable t) {
                fail("case " + i + ": " + t.getClass().getSimpleName() + " instead of an IOException: " + t.getMessage());
            }
        }
        assertTrue(failures >= 120, "every cut pickle fails: " + failures);
    }

    static void write(Path f, Map<String, byte[]> entries) throws IOException {
        try (ZipOutputStream z = new ZipOutputStream(Files.newOutputStream(f))) {
            for (Map.Entry<String, byte[]> e : entries.entrySet()) {
                ZipEntry ze = new ZipEntry(e.getKey());
                ze.setMethod(ZipEntry.STORED);
                ze.setSize(e.getValue().length);
                CRC32 c = new CRC32();
                c.update(e.getValue());
                ze.setCrc(c.getValue());
                z.putNextEntry(ze);
                z.write(e.getValue());
                z.closeEntry();
            }
        }
    }
}
