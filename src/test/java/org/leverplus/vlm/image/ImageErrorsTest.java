package org.leverplus.vlm.image;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.leverplus.vlm.PreprocessorConfig;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.CRC32;

import static org.junit.jupiter.api.Assertions.*;

class ImageErrorsTest {
    @TempDir Path tmp;

    private static void assertMessage(Exception e, String... parts) {
        for (String p : parts) assertTrue(e.getMessage().contains(p), "message should contain \"" + p + "\": " + e.getMessage());
    }

    @Test void missingFile() {
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> ImageDecoder.decode(tmp.resolve("nope.jpg")));
        assertMessage(e, "nope.jpg");
    }

    @Test void emptyFile() throws IOException {
        Path f = Files.createFile(tmp.resolve("empty.png"));
        IOException e = assertThrows(IOException.class, () -> ImageDecoder.decode(f));
        assertMessage(e, "empty.png", "empty file");
    }

    @Test void notAnImage() throws IOException {
        Path f = Files.writeString(tmp.resolve("notes.jpg"), "this is text, not a JPEG");
        IOException e = assertThrows(IOException.class, () -> ImageDecoder.decode(f));
        assertMessage(e, "notes.jpg", "not a readable image");
    }

    @Test void truncatedJpeg() throws IOException {
        byte[] full = Files.readAllBytes(ImageFixtures.dir().resolve("coco-640x480.jpg"));
        Path f = Files.write(tmp.resolve("cut.jpg"), java.util.Arrays.copyOf(full, full.length / 2));
        IOException e = assertThrows(IOException.class, () -> ImageDecoder.decode(f));
        assertMessage(e, "cut.jpg", "truncated");
    }

    @Test void zeroWidthPng() throws IOException {
        Path f = Files.write(tmp.resolve("zero.png"), png(0, 5));
        IOException e = assertThrows(IOException.class, () -> ImageDecoder.decode(f));
        assertMessage(e, "zero.png");
    }

    @Test void batchFailureNamesTheFile() throws IOException {
        Path bad = Files.writeString(tmp.resolve("bad.png"), "garbage");
        List<Path> files = List.of(ImageFixtures.dir().resolve("rgb-84x56.png"), bad, ImageFixtures.dir().resolve("gray-56x56.png"));
        QwenImageProcessor p = new QwenImageProcessor(PreprocessorConfig.defaults());
        IOException e = assertThrows(IOException.class, () -> p.processAll(files, 2));
        assertMessage(e, "bad.png");
    }

    @Test void extremeAspectRatioIsRejectedWithTheFileName() throws IOException {
        Path f = tmp.resolve("strip.png");
        javax.imageio.ImageIO.write(new java.awt.image.BufferedImage(450, 2, java.awt.image.BufferedImage.TYPE_3BYTE_BGR), "png", f.toFile());
        QwenImageProcessor p = new QwenImageProcessor(PreprocessorConfig.defaults());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> p.process(f));
        assertMessage(e, "strip.png", "aspect ratio");
    }

    /** A minimal PNG with the given header size and no image data. */
    private static byte[] png(int w, int h) throws IOException {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(new byte[]{(byte) 0x89, 'P', 'N', 'G', 13, 10, 26, 10});
        ByteBuffer ihdr = ByteBuffer.allocate(13).putInt(w).putInt(h).put((byte) 8).put((byte) 2).put((byte) 0).put((byte) 0).put((byte) 0);
        chunk(out, "IHDR", ihdr.array());
        chunk(out, "IEND", new byte[0]);
        return out.toByteArray();
    }

    private static void chunk(ByteArrayOutputStream out, String type, byte[] data) throws IOException {
        out.write(ByteBuffer.allocate(4).putInt(data.length).array());
        byte[] t = type.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        out.write(t);
        out.write(data);
        CRC32 crc = new CRC32();
        crc.update(t);
        crc.update(data);
        out.write(ByteBuffer.allocate(4).putInt((int) crc.getValue()).array());
    }
}
