package org.leverplus.vlm.image;

/**
 * One image as the vision tower consumes it: {@code grid.patches()} rows of {@code rowSize} floats
 * ({@code C * temporal * patch * patch} = 1176), rows in 2x2-merge-block order, each row ordered
 * (channel, frame, y, x).
 *
 * @param grid    the patch grid ({@code image_grid_thw} row)
 * @param rowSize floats per row
 * @param pixels  {@code grid.patches() * rowSize} normalised values
 */
public record ProcessedImage(ImageGrid grid, int rowSize, float[] pixels) {
    public ProcessedImage {
        if ((long) grid.patches() * rowSize != pixels.length)
            throw new IllegalArgumentException("expected " + (long) grid.patches() * rowSize + " values for grid " + grid + " but found " + pixels.length);
    }
}
