package org.leverplus.vlm.image;

/**
 * An 8-bit RGB image, row-major with interleaved channels ({@code rgb[(y*width + x)*3 + c]}), the layout PIL and
 * numpy use for {@code np.asarray(image)}.
 *
 * @param width  pixels per row (> 0)
 * @param height rows (> 0)
 * @param rgb    {@code width*height*3} bytes, read as unsigned
 */
public record RgbImage(int width, int height, byte[] rgb) {
    public RgbImage {
        if (width <= 0 || height <= 0) throw new IllegalArgumentException("image size must be positive but is " + width + "x" + height);
        if (rgb.length != (long) width * height * 3)
            throw new IllegalArgumentException("expected " + (long) width * height * 3 + " bytes for " + width + "x" + height + " RGB but found " + rgb.length);
    }

    /** Channel {@code c} of pixel (x, y), 0..255. */
    public int get(int x, int y, int c) { return rgb[(y * width + x) * 3 + c] & 0xff; }
}
