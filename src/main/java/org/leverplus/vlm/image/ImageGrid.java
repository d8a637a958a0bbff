package org.leverplus.vlm.image;

/**
 * The patch grid of one preprocessed image, as {@code image_grid_thw}: {@code t} temporal patches (1 for a still
 * image), {@code h} x {@code w} spatial patches of 14x14 pixels.
 *
 * @param t temporal patches (1 for images)
 * @param h patch rows (resized height / patch size)
 * @param w patch columns (resized width / patch size)
 */
public record ImageGrid(int t, int h, int w) {
    public ImageGrid {
        if (t <= 0 || h <= 0 || w <= 0) throw new IllegalArgumentException("image grid must be positive but is (" + t + ", " + h + ", " + w + ")");
        long n = (long) t * h * w;
        if (n > MAX_PATCHES)
            throw new IllegalArgumentException("image grid (" + t + ", " + h + ", " + w + ") has " + n + " patches, more than the "
                    + MAX_PATCHES + " of a " + (MAX_PATCHES * 196 / 1_000_000) + "-megapixel image");
    }

    /**
     * Bound on the patches of one image (a grid may come from a file): 2^20 patches of 14x14 pixels, 16 times
     * Qwen2.5-VL's own max_pixels. Sizes derived from it (tokens, positions) then fit an int.
     */
    public static final long MAX_PATCHES = 1L << 20;

    /** Rows of {@code pixel_values} this image contributes: {@code t*h*w}. */
    public int patches() { return t * h * w; }

    /** {@code <|image_pad|>} tokens for this image: {@code t*h*w / merge^2}; h and w must be multiples of merge. */
    public int tokens(int mergeSize) {
        if (h % mergeSize != 0 || w % mergeSize != 0)
            throw new IllegalArgumentException("image grid (" + t + ", " + h + ", " + w + ") is not divisible by merge size " + mergeSize);
        return patches() / (mergeSize * mergeSize);
    }

    /** The merged grid height (LLM token rows). */
    public int llmH(int mergeSize) { return h / mergeSize; }

    /** The merged grid width (LLM token columns). */
    public int llmW(int mergeSize) { return w / mergeSize; }
}
