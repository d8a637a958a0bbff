package org.leverplus.vlm.image;

import java.util.List;

/**
 * A batch of images as the processor returns it: {@code pixel_values [sum(patches), rowSize]} (images concatenated
 * along rows, in input order) and {@code image_grid_thw [n, 3]}.
 *
 * @param rowSize floats per row (1176)
 * @param data    row-major values
 * @param grids   one grid per image, in order
 */
public record PixelValues(int rowSize, float[] data, List<ImageGrid> grids) {
    public PixelValues {
        grids = List.copyOf(grids);
        long rows = 0;
        for (ImageGrid g : grids) rows += g.patches();
        if (rows * rowSize != data.length)
            throw new IllegalArgumentException("pixel_values has " + data.length + " values but the grids need " + rows + " rows of " + rowSize);
    }

    /** Concatenates processed images in order. */
    public static PixelValues concat(List<ProcessedImage> images) {
        if (images.isEmpty()) return new PixelValues(0, new float[0], List.of());
        int rowSize = images.get(0).rowSize();
        long n = 0;
        for (ProcessedImage p : images) {
            if (p.rowSize() != rowSize) throw new IllegalArgumentException("row sizes differ: " + rowSize + " vs " + p.rowSize());
            n += p.pixels().length;
        }
        float[] data = new float[Math.toIntExact(n)];
        int off = 0;
        for (ProcessedImage p : images) {
            System.arraycopy(p.pixels(), 0, data, off, p.pixels().length);
            off += p.pixels().length;
        }
        return new PixelValues(rowSize, data, images.stream().map(ProcessedImage::grid).toList());
    }

    /** Total rows. */
    public int rows() { return rowSize == 0 ? 0 : data.length / rowSize; }

    /** {@code image_grid_thw} as a flat [n*3] array. */
    public long[] gridThw() {
        long[] out = new long[grids.size() * 3];
        for (int i = 0; i < grids.size(); i++) {
            out[i * 3] = grids.get(i).t();
            out[i * 3 + 1] = grids.get(i).h();
            out[i * 3 + 2] = grids.get(i).w();
        }
        return out;
    }
}
