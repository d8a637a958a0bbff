package org.leverplus.vlm.image;

import org.w3c.dom.NamedNodeMap;
import org.w3c.dom.Node;

import javax.imageio.IIOException;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;
import javax.imageio.event.IIOReadWarningListener;
import javax.imageio.metadata.IIOMetadata;
import javax.imageio.stream.ImageInputStream;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.awt.image.IndexColorModel;
import java.awt.image.Raster;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Iterator;

/**
 * Decodes JPEG and PNG files into 8-bit RGB exactly as the reference pipeline sees them: PIL's {@code Image.open}
 * followed by qwen-vl-utils' {@code to_rgb}.
 *
 * <p>Mode conversions (PIL semantics, verified against Pillow 9.4 fixtures):
 * <ul>
 *   <li>RGB: as stored. 16-bit samples keep their high byte (PIL's {@code RGB;16B}).</li>
 *   <li>Grayscale (L): replicated to three channels; 16-bit grayscale is clipped to 255 (PIL's I -> RGB).</li>
 *   <li>Palette (P, including 1/2/4-bit): palette colours; palette transparency is ignored ({@code convert("RGB")}).</li>
 *   <li>RGBA: composited onto <em>white</em> with PIL's paste arithmetic
 *       {@code (255*(255-a) + c*a + 128) / 255} (qwen-vl-utils pastes RGBA onto a white background).</li>
 *   <li>LA (grayscale + alpha): alpha is dropped, not composited (qwen-vl-utils calls {@code convert("RGB")} for
 *       every mode except RGBA).</li>
 *   <li>CMYK JPEG: samples are inverted as PIL reads Adobe CMYK ({@code CMYK;I}), then PIL's
 *       {@code cmyk2rgb}: {@code c' = (255-k) - c*(255-k)/255}. YCCK JPEGs are rejected.</li>
 * </ul>
 * Pixel values come from the raster, never through Java colour management, so an embedded ICC profile is ignored
 * as PIL ignores it. EXIF orientation is <em>not</em> applied: PIL's {@code Image.open} and the qwen-vl-utils
 * version Lever-Plus used do not apply it (newer qwen-vl-utils releases do).
 *
 * <p>JPEG decoding uses the JDK's libjpeg (6b) with the ISLOW IDCT and fancy upsampling, the same algorithms as
 * PIL's libjpeg-turbo defaults; the tests measure the remaining difference on fixtures.
 */
public final class ImageDecoder {
    static {
        ImageIO.setUseCache(false);
    }

    private ImageDecoder() {}

    /**
     * PIL's decompression-bomb limit: PIL refuses images above twice {@code Image.MAX_IMAGE_PIXELS} (89,478,485), that
     * is 178,956,970 pixels (the largest COCO or VQAv2 image is about 0.3 M). A 1.8 MB PNG can otherwise declare 625 M
     * pixels and take gigabytes to decode. Set {@code LEVER_MAX_IMAGE_PIXELS} (or {@code -Dlever.maxImagePixels}) to
     * change it; 0 turns the check off.
     */
    public static final long DEFAULT_MAX_PIXELS = 2L * 89_478_485;

    /** The pixel limit in force (see {@link #DEFAULT_MAX_PIXELS}). */
    public static long maxPixels() {
        String v = System.getProperty("lever.maxImagePixels", System.getenv("LEVER_MAX_IMAGE_PIXELS"));
        if (v == null || v.isBlank()) return DEFAULT_MAX_PIXELS;
        try {
            long n = Long.parseLong(v.strip());
            if (n < 0) throw new NumberFormatException();
            return n == 0 ? Long.MAX_VALUE : n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("LEVER_MAX_IMAGE_PIXELS / lever.maxImagePixels must be a number of pixels >= 0 (0 = no limit), got '" + v + "'");
        }
    }

    /** Refuses an image whose header declares more pixels than {@link #maxPixels()}, before any pixel is decoded. */
    static void checkPixels(Path file, int w, int h) throws IOException {
        long max = maxPixels();
        if ((long) w * h > max)
            throw new IOException(file + ": image of " + w + "x" + h + " = " + (long) w * h + " pixels exceeds the limit of " + max
                    + " pixels (a decompression-bomb guard like PIL's MAX_IMAGE_PIXELS; raise it with LEVER_MAX_IMAGE_PIXELS, 0 = no limit)");
    }

    /** Decodes one file; errors name the file and say what was wrong. */
    public static RgbImage decode(Path file) throws IOException {
        return withReader(file, false, reader -> {
            reader.addIIOReadWarningListener(TRUNCATION_IS_AN_ERROR);
            try {
                return read(reader, file);
            } catch (TruncatedImage e) {
                throw new IOException(file + ": image file is truncated (" + e.getMessage() + ")");
            } catch (IIOException e) {
                throw new IOException(file + ": cannot decode " + reader.getFormatName() + ": " + e.getMessage(), e);
            } catch (RuntimeException e) {
                throw new IOException(file + ": cannot decode " + reader.getFormatName() + ": " + e, e);
            }
        });
    }

    /**
     * Width and height from the file header, without decoding the pixels (what {@code smart_resize} needs to size
     * the prompt). Errors as in {@link #decode}.
     */
    public static int[] readSize(Path file) throws IOException {
        return withReader(file, true, reader -> {
            try {
                int w = reader.getWidth(0), h = reader.getHeight(0);
                if (w <= 0 || h <= 0) throw new IOException(file + ": image has zero size " + w + "x" + h);
                checkPixels(file, w, h);
                return new int[]{w, h};
            } catch (IIOException | RuntimeException e) {
                throw new IOException(file + ": cannot read " + reader.getFormatName() + " header: " + e.getMessage(), e);
            }
        });
    }

    private interface ReaderAction<T> {
        T apply(ImageReader reader) throws IOException;
    }

    /** Opens {@code file}, finds an ImageIO reader for it (errors name the file), runs {@code action}, disposes it. */
    private static <T> T withReader(Path file, boolean ignoreMetadata, ReaderAction<T> action) throws IOException {
        if (!Files.isRegularFile(file)) throw new NoSuchFileException(file.toString(), null, "image file not found");
        if (Files.size(file) == 0) throw new IOException(file + ": empty file, not an image");
        try (ImageInputStream iis = ImageIO.createImageInputStream(file.toFile())) {
            if (iis == null) throw new IOException(file + ": cannot open for reading");
            Iterator<ImageReader> readers = ImageIO.getImageReaders(iis);
            if (!readers.hasNext()) throw new IOException(file + ": not a readable image (expected JPEG or PNG)");
            ImageReader reader = readers.next();
            try {
                reader.setInput(iis, true, ignoreMetadata);
                return action.apply(reader);
            } finally {
                reader.dispose();
            }
        }
    }

    private static RgbImage read(ImageReader reader, Path file) throws IOException {
        int w = reader.getWidth(0), h = reader.getHeight(0);
        if (w <= 0 || h <= 0) throw new IOException(file + ": image has zero size " + w + "x" + h);
        checkPixels(file, w, h);
        BufferedImage img;
        try {
            img = reader.read(0);
        } catch (IIOException e) {
            // The JDK's JPEG reader refuses 4-channel (CMYK/YCCK) images as BufferedImages; the raw raster still decodes.
            if ("jpeg".equalsIgnoreCase(reader.getFormatName()) && String.valueOf(e.getMessage()).contains("Unsupported Image Type"))
                return cmykJpeg(reader, file);
            throw e;
        }
        return toRgb(img);
    }

    /** PIL's conversion to RGB of whatever the reader produced, from raw raster samples. */
    static RgbImage toRgb(BufferedImage img) {
        int w = img.getWidth(), h = img.getHeight();
        byte[] out = new byte[w * h * 3];
        Raster r = img.getRaster();
        if (img.getType() == BufferedImage.TYPE_3BYTE_BGR && r.getDataBuffer() instanceof DataBufferByte db
                && r.getSampleModelTranslateX() == 0 && r.getSampleModelTranslateY() == 0) {
            byte[] bgr = db.getData();
            for (int i = 0, n = w * h * 3; i < n; i += 3) {
                out[i] = bgr[i + 2];
                out[i + 1] = bgr[i + 1];
                out[i + 2] = bgr[i];
            }
            return new RgbImage(w, h, out);
        }
        if (img.getColorModel() instanceof IndexColorModel icm) {
            int[] idx = new int[w];
            for (int y = 0; y < h; y++) {
                r.getSamples(0, y, w, 1, 0, idx);
                for (int x = 0; x < w; x++) {
                    int o = (y * w + x) * 3;
                    out[o] = (byte) icm.getRed(idx[x]);
                    out[o + 1] = (byte) icm.getGreen(idx[x]);
                    out[o + 2] = (byte) icm.getBlue(idx[x]);
                }
            }
            return new RgbImage(w, h, out);
        }
        int bands = r.getNumBands();
        if (img.getColorModel().getColorSpace().getType() == java.awt.color.ColorSpace.TYPE_CMYK && bands == 4)
            return cmykToRgb(r, false);   // the JDK reader already undid the Adobe inversion
        int bits = img.getColorModel().getComponentSize(0);
        boolean alpha = img.getColorModel().hasAlpha();
        int[] px = new int[w * bands];
        for (int y = 0; y < h; y++) {
            r.getPixels(0, y, w, 1, px);
            for (int x = 0; x < w; x++) {
                int p = x * bands, o = (y * w + x) * 3;
                int cr, cg, cb;
                if (bands <= 2) {
                    // L or LA: 16-bit L is clipped (PIL "I" -> RGB); 16-bit LA keeps the high byte (PIL "LA;16B").
                    int v = px[p];
                    if (bits > 8) v = bands == 1 ? Math.min(v, 255) : v >> (bits - 8);
                    cr = cg = cb = v;
                } else {
                    cr = px[p];
                    cg = px[p + 1];
                    cb = px[p + 2];
                    if (bits > 8) {
                        cr >>= bits - 8;
                        cg >>= bits - 8;
                        cb >>= bits - 8;
                    }
                    if (alpha && bands == 4) {
                        int a = px[p + 3];
                        if (bits > 8) a >>= bits - 8;
                        cr = blendOnWhite(cr, a);
                        cg = blendOnWhite(cg, a);
                        cb = blendOnWhite(cb, a);
                    }
                }
                out[o] = (byte) cr;
                out[o + 1] = (byte) cg;
                out[o + 2] = (byte) cb;
            }
        }
        return new RgbImage(w, h, out);
    }

    /** PIL's {@code paste(im, mask=alpha)} onto 255: {@code DIV255(255*(255-a) + c*a)} with DIV255 rounding. */
    static int blendOnWhite(int c, int a) {
        int t = 255 * (255 - a) + c * a + 128;
        return ((t >> 8) + t) >> 8;
    }

    private static RgbImage cmykJpeg(ImageReader reader, Path file) throws IOException {
        Integer transform = adobeTransform(reader.getImageMetadata(0));
        if (transform != null && transform == 2)
            throw new IOException(file + ": YCCK JPEG (Adobe transform 2) is not supported; convert it to RGB or CMYK");
        Raster r = reader.readRaster(0, null);
        if (r.getNumBands() != 4) throw new IOException(file + ": unsupported JPEG with " + r.getNumBands() + " channels");
        // The raw raster holds the stored (Adobe-inverted) samples; PIL reads them as "CMYK;I", i.e. inverted.
        return cmykToRgb(r, true);
    }

    /** PIL's {@code cmyk2rgb}: {@code c' = nk - c*nk/255} with {@code nk = 255 - k} and PIL's MULDIV255 rounding. */
    private static RgbImage cmykToRgb(Raster r, boolean inverted) {
        int w = r.getWidth(), h = r.getHeight();
        byte[] out = new byte[w * h * 3];
        int[] px = new int[w * 4];
        for (int y = 0; y < h; y++) {
            r.getPixels(r.getMinX(), r.getMinY() + y, w, 1, px);
            for (int x = 0; x < w; x++) {
                if (inverted) for (int c = 0; c < 4; c++) px[x * 4 + c] = 255 - px[x * 4 + c];
                int nk = 255 - px[x * 4 + 3], o = (y * w + x) * 3;
                for (int c = 0; c < 3; c++) {
                    int t = px[x * 4 + c] * nk + 128;
                    int v = nk - (((t >> 8) + t) >> 8);
                    out[o + c] = (byte) Math.max(0, Math.min(255, v));
                }
            }
        }
        return new RgbImage(w, h, out);
    }

    private static Integer adobeTransform(IIOMetadata md) {
        if (md == null) return null;
        try {
            Node root = md.getAsTree("javax_imageio_jpeg_image_1.0");
            return findAdobe(root);
        } catch (IllegalArgumentException e) {
            return null;
        }
    }

    private static Integer findAdobe(Node n) {
        if ("app14Adobe".equals(n.getNodeName())) {
            NamedNodeMap a = n.getAttributes();
            Node t = a == null ? null : a.getNamedItem("transform");
            return t == null ? null : Integer.valueOf(t.getNodeValue());
        }
        for (Node c = n.getFirstChild(); c != null; c = c.getNextSibling()) {
            Integer v = findAdobe(c);
            if (v != null) return v;
        }
        return null;
    }

    /** libjpeg reports a truncated file only as a warning ("Premature end of JPEG file"); PIL raises. So do we. */
    private static final IIOReadWarningListener TRUNCATION_IS_AN_ERROR = (source, warning) -> {
        if (warning != null && warning.toLowerCase(java.util.Locale.ROOT).contains("premature end")) throw new TruncatedImage(warning);
    };

    private static final class TruncatedImage extends RuntimeException {
        TruncatedImage(String m) { super(m); }
    }
}
