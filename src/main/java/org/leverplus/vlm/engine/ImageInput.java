package org.leverplus.vlm.engine;

import org.bytedeco.pytorch.Tensor;

/**
 * One preprocessed image: its {@code pixel_values} rows [t*h*w, 1176] (float32, merge-block order) and grid (t, h, w)
 * in patches. {@code key} identifies the content and the preprocessing (e.g. SHA-256 of the file bytes plus
 * min/max pixels): images with equal keys share one vision-tower pass through the image-embedding cache.
 */
public record ImageInput(String key, Tensor pixelValues, int[] grid) {
    public ImageInput {
        if (key == null || key.isEmpty()) throw new IllegalArgumentException("image key must not be empty");
        if (grid == null || grid.length != 3) throw new IllegalArgumentException("image grid must be (t, h, w), got " + java.util.Arrays.toString(grid));
        grid = grid.clone();
    }

    @Override public int[] grid() { return grid.clone(); }

    /** LLM tokens of this image: t*h*w / merge^2. */
    public int tokens(int mergeSize) { return grid[0] * grid[1] * grid[2] / (mergeSize * mergeSize); }
}
