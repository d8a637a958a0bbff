package org.leverplus.vlm;

import org.leverplus.hf.ConfigJson;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The image processor settings of a snapshot's {@code preprocessor_config.json} ({@code Qwen2VLImageProcessor}).
 * Pixel limits come from {@code min_pixels}/{@code max_pixels} (the 3B snapshot) or from
 * {@code size {shortest_edge, longest_edge}} (newer files), in that order.
 *
 * @param minPixels          smallest resized area (3136 in the 3B snapshot)
 * @param maxPixels          largest resized area (12845056)
 * @param patchSize          pixels per patch side (14)
 * @param temporalPatchSize  frames per patch (2)
 * @param mergeSize          patches merged per side into one LLM token (2)
 * @param imageMean          per-channel mean after rescaling (CLIP values)
 * @param imageStd           per-channel std (CLIP values)
 * @param rescaleFactor      {@code 1/255}
 * @param resample           PIL filter id (3 = BICUBIC, the only one implemented)
 */
public record PreprocessorConfig(long minPixels, long maxPixels, int patchSize, int temporalPatchSize, int mergeSize,
                                 List<Double> imageMean, List<Double> imageStd, double rescaleFactor, int resample) {
    /** The canonical file name inside a snapshot. */
    public static final String FILE = "preprocessor_config.json";
    /** PIL's {@code Image.BICUBIC}. */
    public static final int BICUBIC = 3;

    public PreprocessorConfig {
        imageMean = List.copyOf(imageMean);
        imageStd = List.copyOf(imageStd);
        if (minPixels <= 0 || maxPixels < minPixels)
            throw new IllegalArgumentException("min_pixels " + minPixels + " / max_pixels " + maxPixels + ": expected 0 < min <= max");
        if (patchSize <= 0 || temporalPatchSize <= 0 || mergeSize <= 0)
            throw new IllegalArgumentException("patch_size, temporal_patch_size and merge_size must be > 0 but are "
                    + patchSize + ", " + temporalPatchSize + ", " + mergeSize);
        if (imageMean.size() != 3 || imageStd.size() != 3)
            throw new IllegalArgumentException("image_mean and image_std must have 3 entries but have " + imageMean + ", " + imageStd);
        for (double s : imageStd) if (!(s > 0)) throw new IllegalArgumentException("image_std entries must be > 0 but are " + imageStd);
        if (!(rescaleFactor > 0)) throw new IllegalArgumentException("rescale_factor must be > 0 but is " + rescaleFactor);
        if (resample != BICUBIC)
            throw new IllegalArgumentException("resample " + resample + " is not supported (only 3 = BICUBIC, the Qwen2.5-VL default)");
    }

    /** The values of the Qwen2.5-VL-3B-Instruct snapshot. */
    public static PreprocessorConfig defaults() {
        return new PreprocessorConfig(3136, 12845056, 14, 2, 2,
                List.of(0.48145466, 0.4578275, 0.40821073), List.of(0.26862954, 0.26130258, 0.27577711),
                1.0 / 255.0, BICUBIC);
    }

    /** Pixels per side of one LLM token: {@code patch_size * merge_size} (28). */
    public int factor() { return patchSize * mergeSize; }

    public static PreprocessorConfig read(Path file) throws IOException {
        ConfigJson j = ConfigJson.read(file);
        PreprocessorConfig d = defaults();
        try {
            ConfigJson size = j.child("size");
            long min = j.has("min_pixels") ? j.optLong("min_pixels", 0)
                    : size != null && size.has("shortest_edge") ? size.optLong("shortest_edge", 0) : d.minPixels();
            long max = j.has("max_pixels") ? j.optLong("max_pixels", 0)
                    : size != null && size.has("longest_edge") ? size.optLong("longest_edge", 0) : d.maxPixels();
            return new PreprocessorConfig(min, max,
                    j.optInt("patch_size", d.patchSize()),
                    j.optInt("temporal_patch_size", d.temporalPatchSize()),
                    j.optInt("merge_size", d.mergeSize()),
                    j.optDoubleList("image_mean", d.imageMean()),
                    j.optDoubleList("image_std", d.imageStd()),
                    j.optDouble("rescale_factor", d.rescaleFactor()),
                    j.optInt("resample", d.resample()));
        } catch (IllegalArgumentException e) {
            if (e.getMessage() != null && e.getMessage().startsWith(file.toString())) throw e;
            throw new IllegalArgumentException(file + ": " + e.getMessage(), e);
        }
    }
}
