package org.leverplus.clip;

import com.fasterxml.jackson.databind.JsonNode;
import org.leverplus.hf.ConfigJson;
import org.leverplus.vlm.image.ImageDecoder;
import org.leverplus.vlm.image.PilBicubic;
import org.leverplus.vlm.image.RgbImage;

import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * transformers' {@code CLIPImageProcessor}: convert to RGB, resize the shortest edge to {@code size} with PIL's bicubic
 * (the long edge becomes {@code int(size * long / short)}), centre-crop {@code crop_size} (offsets
 * {@code (in - crop) // 2}), rescale by {@code rescale_factor} and normalise with {@code image_mean}/{@code image_std}
 * in numpy's float semantics ({@code float32(u8 * factor)} with the product in float64, then
 * {@code (x - float32(mean)) / float32(std)} in float32). Decoding and the resize are the project's PIL-exact ones.
 * Stateless apart from its config; thread-safe.
 */
public final class ClipImageProcessor {
    public static final String FILE = "preprocessor_config.json";

    /** {@code preprocessor_config.json} values (defaults: openai/clip-vit-base-patch32). */
    public record Config(int shortestEdge, int cropHeight, int cropWidth, double rescaleFactor, List<Double> mean, List<Double> std,
                         boolean doResize, boolean doCenterCrop) {
        public static Config defaults() {
            return new Config(224, 224, 224, 1 / 255.0, List.of(0.48145466, 0.4578275, 0.40821073), List.of(0.26862954, 0.26130258, 0.27577711), true, true);
        }

        public static Config read(Path file) throws IOException {
            ConfigJson j = ConfigJson.read(file);
            Config d = defaults();
            int edge = d.shortestEdge();
            JsonNode size = j.root().get("size");
            if (size != null && size.isInt()) edge = size.intValue();
            else if (size != null && size.has("shortest_edge")) edge = size.get("shortest_edge").intValue();
            else if (size != null) throw j.bad("size", "an int or {\"shortest_edge\": n}", size);
            int ch = d.cropHeight(), cw = d.cropWidth();
            JsonNode crop = j.root().get("crop_size");
            if (crop != null && crop.isInt()) ch = cw = crop.intValue();
            else if (crop != null && crop.has("height") && crop.has("width")) { ch = crop.get("height").intValue(); cw = crop.get("width").intValue(); }
            else if (crop != null) throw j.bad("crop_size", "an int or {\"height\": h, \"width\": w}", crop);
            int resample = j.optInt("resample", 3);
            if (resample != 3) throw j.bad("resample", "3 (bicubic; the only filter implemented)", j.root().get("resample"));
            List<Double> mean = j.optDoubleList("image_mean", d.mean()), std = j.optDoubleList("image_std", d.std());
            if (mean.size() != 3 || std.size() != 3) throw j.bad("image_mean", "three values (and three image_std)", j.root().get("image_mean"));
            return new Config(edge, ch, cw, j.optDouble("rescale_factor", d.rescaleFactor()), mean, std,
                    j.optBool("do_resize", true), j.optBool("do_center_crop", true));
        }
    }

    private final Config config;
    private final float[][] table = new float[3][256];

    public ClipImageProcessor(Config config) {
        this.config = config;
        for (int c = 0; c < 3; c++) {
            float mean = config.mean().get(c).floatValue(), std = config.std().get(c).floatValue();
            for (int u = 0; u < 256; u++) table[c][u] = ((float) (u * config.rescaleFactor()) - mean) / std;
        }
    }

    public Config config() { return config; }

    /** Floats per image: 3 x cropHeight x cropWidth. */
    public int size() { return 3 * config.cropHeight() * config.cropWidth(); }

    /** Decodes and preprocesses one file into {@code out[offset ..]} as [3, H, W]. Errors name the file. */
    public void process(Path file, float[] out, int offset) throws IOException {
        process(decode(file), out, offset);
    }

    /**
     * The file as transformers' {@code convert_to_rgb} sees it: PIL's {@code convert("RGB")}, which drops an alpha
     * channel. The project decoder ({@link ImageDecoder}, qwen-vl-utils' semantics) composites RGBA onto white, so a PNG
     * with colour + alpha (colour type 6, or colour type 2 with a {@code tRNS} chunk, which the JDK reader turns into an
     * alpha channel while PIL keeps the file RGB) is read again here and its alpha dropped. Every other mode (L, LA, P
     * with or without transparency, CMYK ...) is the decoder's, which already equals {@code convert("RGB")}.
     */
    public static RgbImage decode(Path file) throws IOException {
        RgbImage img = ImageDecoder.decode(file);   // validation, size limit, every error message naming the file
        if (!pngWithColourAlpha(file)) return img;
        java.awt.image.BufferedImage b = javax.imageio.ImageIO.read(file.toFile());
        if (b == null) throw new IOException(file + ": cannot decode PNG");
        java.awt.image.Raster r = b.getRaster();
        if (b.getColorModel() instanceof java.awt.image.IndexColorModel || r.getNumBands() != 4) return img;
        int w = b.getWidth(), h = b.getHeight(), shift = b.getColorModel().getComponentSize(0) - 8;
        byte[] rgb = new byte[w * h * 3];
        int[] px = new int[w * 4];
        for (int y = 0; y < h; y++) {
            r.getPixels(0, y, w, 1, px);
            for (int x = 0; x < w; x++)
                for (int c = 0; c < 3; c++) rgb[(y * w + x) * 3 + c] = (byte) (px[x * 4 + c] >> shift);   // 16-bit: the high byte, as PIL
        }
        return new RgbImage(w, h, rgb);
    }

    /** PNG colour type 6 (RGBA), or 2 (RGB) with a tRNS chunk before the image data. */
    static boolean pngWithColourAlpha(Path file) throws IOException {
        try (var in = new java.io.DataInputStream(new java.io.BufferedInputStream(java.nio.file.Files.newInputStream(file)))) {
            byte[] sig = new byte[8];
            if (in.read(sig) != 8 || (sig[0] & 0xff) != 0x89 || sig[1] != 'P' || sig[2] != 'N' || sig[3] != 'G') return false;
            int colourType = -1;
            while (true) {
                int len = in.readInt();
                byte[] type = new byte[4];
                in.readFully(type);
                String t = new String(type, java.nio.charset.StandardCharsets.US_ASCII);
                if (t.equals("IHDR")) {
                    byte[] ihdr = new byte[len];
                    in.readFully(ihdr);
                    colourType = ihdr[9] & 0xff;
                    if (colourType == 6) return true;
                    if (colourType != 2) return false;
                } else if (t.equals("tRNS")) {
                    return colourType == 2;
                } else if (t.equals("IDAT") || t.equals("IEND")) {
                    return false;
                } else {
                    in.skipNBytes(len);
                }
                in.skipNBytes(4);   // CRC
            }
        } catch (java.io.EOFException e) {
            return false;   // a truncated file: ImageDecoder.decode has already reported what it could not read
        }
    }

    public float[] process(RgbImage img) {
        float[] out = new float[size()];
        process(img, out, 0);
        return out;
    }

    public void process(RgbImage img, float[] out, int offset) {
        RgbImage r = img;
        if (config.doResize()) {
            int w = img.width(), h = img.height(), e = config.shortestEdge();
            int nw, nh;
            if (w <= h) { nw = e; nh = (int) ((long) e * h / w); } else { nh = e; nw = (int) ((long) e * w / h); }
            if (nw != w || nh != h) r = PilBicubic.resize(img, nw, nh);
        }
        int ch = config.cropHeight(), cw = config.cropWidth();
        if (!config.doCenterCrop()) {
            if (r.width() != cw || r.height() != ch)
                throw new IllegalArgumentException("do_center_crop is false but the resized image is " + r.width() + "x" + r.height() + ", not " + cw + "x" + ch);
        }
        if (r.width() < cw || r.height() < ch)
            throw new IllegalArgumentException("image " + r.width() + "x" + r.height() + " is smaller than the crop " + cw + "x" + ch);
        int top = (r.height() - ch) / 2, left = (r.width() - cw) / 2;
        int plane = ch * cw;
        for (int y = 0; y < ch; y++)
            for (int x = 0; x < cw; x++)
                for (int c = 0; c < 3; c++) out[offset + c * plane + y * cw + x] = table[c][r.get(left + x, top + y, c)];
    }
}
