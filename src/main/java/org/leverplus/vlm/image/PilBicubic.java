package org.leverplus.vlm.image;

/**
 * PIL's {@code Image.resize(size, BICUBIC)} for 8-bit RGB images, reproduced operation by operation so the output
 * is bit-identical (Pillow {@code libImaging/Resample.c}, unchanged in this respect from Pillow 4.3 to 11).
 *
 * <ul>
 *   <li>Separable, two passes: horizontal first (only over the source rows the vertical pass will read), then
 *       vertical; a pass whose size does not change is skipped. Each pass rounds to 8 bits.</li>
 *   <li>Kernel: Keys cubic with a = -0.5 and support 2, stretched by the scale when downsampling
 *       ({@code filterscale = max(1, in/out)}); the taps of an output pixel are centred at
 *       {@code (x + 0.5) * scale}, bounded to the image, and normalised to sum 1 in double precision.</li>
 *   <li>Coefficients become 22-bit fixed point ({@code (int)(c * 2^22 ± 0.5)}, rounding away from zero); a pixel is
 *       {@code 2^21 + sum(v * k)} in 32-bit integers, shifted right by 22 (arithmetic) and clipped to 0..255.</li>
 * </ul>
 */
public final class PilBicubic {
    private static final int PRECISION_BITS = 32 - 8 - 2;
    private static final double SUPPORT = 2.0;

    private PilBicubic() {}

    /** Resizes to {@code outWidth x outHeight}; the same size returns an equal copy, as PIL does. */
    public static RgbImage resize(RgbImage in, int outWidth, int outHeight) {
        if (outWidth <= 0 || outHeight <= 0) throw new IllegalArgumentException("target size must be positive but is " + outWidth + "x" + outHeight);
        boolean horizontal = outWidth != in.width();
        boolean vertical = outHeight != in.height();
        if (!horizontal && !vertical) return new RgbImage(in.width(), in.height(), in.rgb().clone());

        Coeffs cv = Coeffs.of(in.height(), outHeight);
        byte[] src = in.rgb();
        int srcW = in.width(), rowFirst = 0, rows = in.height();
        if (horizontal) {
            Coeffs ch = Coeffs.of(in.width(), outWidth);
            // Only the source rows the vertical pass reads (all of them when it is skipped).
            rowFirst = vertical ? cv.min[0] : 0;
            int rowLast = vertical ? cv.min[outHeight - 1] + cv.len[outHeight - 1] : in.height();
            rows = rowLast - rowFirst;
            byte[] tmp = new byte[outWidth * rows * 3];
            for (int y = 0; y < rows; y++) {
                int inRow = (y + rowFirst) * srcW * 3, outRow = y * outWidth * 3;
                for (int x = 0; x < outWidth; x++) {
                    int xmin = ch.min[x], n = ch.len[x], k0 = x * ch.ksize;
                    int s0 = 1 << (PRECISION_BITS - 1), s1 = s0, s2 = s0;
                    for (int i = 0; i < n; i++) {
                        int k = ch.kk[k0 + i], p = inRow + (xmin + i) * 3;
                        s0 += (src[p] & 0xff) * k;
                        s1 += (src[p + 1] & 0xff) * k;
                        s2 += (src[p + 2] & 0xff) * k;
                    }
                    int o = outRow + x * 3;
                    tmp[o] = clip8(s0);
                    tmp[o + 1] = clip8(s1);
                    tmp[o + 2] = clip8(s2);
                }
            }
            src = tmp;
            srcW = outWidth;
        }
        if (!vertical) return new RgbImage(srcW, rows, src);

        byte[] out = new byte[srcW * outHeight * 3];
        int stride = srcW * 3;
        int[] acc = new int[stride];
        for (int y = 0; y < outHeight; y++) {
            int ymin = cv.min[y] - rowFirst, n = cv.len[y], k0 = y * cv.ksize, outRow = y * stride;
            // Row-wise accumulation (same integer sums as PIL's per-pixel loop; addition order does not matter for ints).
            java.util.Arrays.fill(acc, 1 << (PRECISION_BITS - 1));
            for (int i = 0; i < n; i++) {
                int k = cv.kk[k0 + i], base = (ymin + i) * stride;
                for (int x = 0; x < stride; x++) acc[x] += (src[base + x] & 0xff) * k;
            }
            for (int x = 0; x < stride; x++) out[outRow + x] = clip8(acc[x]);
        }
        return new RgbImage(srcW, outHeight, out);
    }

    private static byte clip8(int v) {
        int s = v >> PRECISION_BITS;
        return (byte) (s < 0 ? 0 : Math.min(s, 255));
    }

    /** Keys cubic convolution kernel with a = -0.5. */
    static double bicubic(double x) {
        final double a = -0.5;
        if (x < 0.0) x = -x;
        if (x < 1.0) return ((a + 2.0) * x - (a + 3.0)) * x * x + 1;
        if (x < 2.0) return (((x - 5) * x + 8) * x - 4) * a;
        return 0.0;
    }

    /** Per output pixel: first source index, tap count, fixed-point weights (Resample.c precompute_coeffs + normalize). */
    static final class Coeffs {
        final int ksize;
        final int[] min, len, kk;

        private Coeffs(int ksize, int outSize) {
            this.ksize = ksize;
            this.min = new int[outSize];
            this.len = new int[outSize];
            this.kk = new int[outSize * ksize];
        }

        static Coeffs of(int inSize, int outSize) {
            double scale = (double) inSize / outSize;
            double filterscale = Math.max(scale, 1.0);
            double support = SUPPORT * filterscale;
            int ksize = (int) Math.ceil(support) * 2 + 1;
            Coeffs c = new Coeffs(ksize, outSize);
            double[] k = new double[ksize];
            for (int xx = 0; xx < outSize; xx++) {
                double center = (xx + 0.5) * scale;
                double ss = 1.0 / filterscale;
                int xmin = (int) (center - support + 0.5);
                if (xmin < 0) xmin = 0;
                int xmax = (int) (center + support + 0.5);
                if (xmax > inSize) xmax = inSize;
                xmax -= xmin;
                double ww = 0.0;
                for (int x = 0; x < xmax; x++) {
                    double w = bicubic((x + xmin - center + 0.5) * ss);
                    k[x] = w;
                    ww += w;
                }
                for (int x = 0; x < xmax; x++) {
                    double v = ww != 0.0 ? k[x] / ww : k[x];
                    c.kk[xx * ksize + x] = v < 0 ? (int) (-0.5 + v * (1 << PRECISION_BITS)) : (int) (0.5 + v * (1 << PRECISION_BITS));
                }
                c.min[xx] = xmin;
                c.len[xx] = xmax;
            }
            return c;
        }
    }
}
