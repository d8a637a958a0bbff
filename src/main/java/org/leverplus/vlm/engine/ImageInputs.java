package org.leverplus.vlm.engine;

import org.leverplus.vlm.image.ImageGrid;
import org.leverplus.vlm.image.ProcessedImage;
import org.leverplus.vlm.image.QwenImageProcessor;
import org.leverplus.vlm.model.Tensors;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Map;

/**
 * Image files as engine inputs: Qwen2.5-VL preprocessing, and a cache key that is the SHA-256 of the file's bytes plus
 * the preprocessing settings (computed once per file), so the engine's image cache runs the vision tower once per
 * picture whatever its path or how often it appears. Pixels are made per call ({@link #of}); keys are remembered.
 */
public final class ImageInputs {
    private final QwenImageProcessor processor;
    private final Map<Path, String> keys = new HashMap<>();

    public ImageInputs(QwenImageProcessor processor) { this.processor = processor; }

    /**
     * The engine input of {@code file}; {@code done} memoises within a batch of prompts.
     * @param what the item the image belongs to, for the error when the file is missing
     */
    public ImageInput of(Map<Path, ImageInput> done, Path file, String what) throws IOException {
        ImageInput im = done.get(file);
        if (im != null) return im;
        if (!Files.isRegularFile(file)) throw new NoSuchFileException(file.toString(), null, "image of " + what + " not found");
        ProcessedImage p = processor.process(file);
        String key = keys.get(file);
        if (key == null) {
            key = sha256(Files.readAllBytes(file)) + "|" + processor.config();
            keys.put(file, key);
        }
        im = new ImageInput(key, Tensors.floats(p.pixels(), null, p.grid().patches(), p.rowSize()), new int[]{p.grid().t(), p.grid().h(), p.grid().w()});
        done.put(file, im);
        return im;
    }

    /** The grid of an engine input. */
    public static ImageGrid grid(ImageInput im) {
        return new ImageGrid(im.grid()[0], im.grid()[1], im.grid()[2]);
    }

    private static String sha256(byte[] b) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 unavailable", e);
        }
    }
}
