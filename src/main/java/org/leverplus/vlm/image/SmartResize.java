package org.leverplus.vlm.image;

/**
 * {@code smart_resize} of qwen-vl-utils (the path Lever-Plus takes before the HF processor): the target size is a
 * multiple of {@code factor} (28) on both sides, close to the original aspect ratio, with an area within
 * [{@code minPixels}, {@code maxPixels}].
 *
 * <pre>
 *   h' = max(factor, round(h / factor) * factor)      (Python round: half to even, e.g. 70/28 = 2.5 -> 2)
 *   w' = max(factor, round(w / factor) * factor)
 *   if h'*w' > max:  beta = sqrt(h*w / max); h' = floor(h / beta / factor) * factor; same for w'
 *   elif h'*w' < min: beta = sqrt(min / (h*w)); h' = ceil(h * beta / factor) * factor;  same for w'
 * </pre>
 * An aspect ratio above 200 is an error, as in the reference. The HF image processor then applies its own
 * {@code smart_resize} with the snapshot's limits, which leaves an already-conforming size unchanged.
 */
public final class SmartResize {
    /** The reference's {@code MAX_RATIO}. */
    public static final int MAX_RATIO = 200;

    private SmartResize() {}

    /** The resized (height, width). */
    public record Size(int height, int width) {}

    public static Size of(int height, int width, int factor, long minPixels, long maxPixels) {
        if (height <= 0 || width <= 0) throw new IllegalArgumentException("image size must be positive but is " + width + "x" + height);
        if ((double) Math.max(height, width) / Math.min(height, width) > MAX_RATIO)
            throw new IllegalArgumentException("absolute aspect ratio must be smaller than " + MAX_RATIO + " but image is " + width + "x" + height);
        long h = Math.max(factor, roundHalfEven((double) height / factor) * factor);
        long w = Math.max(factor, roundHalfEven((double) width / factor) * factor);
        double area = (double) height * width;
        if (h * w > maxPixels) {
            double beta = Math.sqrt(area / maxPixels);
            h = (long) Math.floor(height / beta / factor) * factor;
            w = (long) Math.floor(width / beta / factor) * factor;
        } else if (h * w < minPixels) {
            double beta = Math.sqrt(minPixels / area);
            h = (long) Math.ceil(height * beta / factor) * factor;
            w = (long) Math.ceil(width * beta / factor) * factor;
        }
        if (h <= 0 || w <= 0)
            throw new IllegalArgumentException("smart_resize of " + width + "x" + height + " gives an empty size " + w + "x" + h
                    + " (max_pixels " + maxPixels + " too small for factor " + factor + ")");
        return new Size(Math.toIntExact(h), Math.toIntExact(w));
    }

    /** Python 3 {@code round(x)} for floats: ties go to the even neighbour ({@code Math.round} would go up). */
    static long roundHalfEven(double x) { return (long) Math.rint(x); }
}
