package org.leverplus.vlm.engine;

import java.util.List;

/**
 * get_rope_index for one unpadded sequence of images and text: text tokens get (p, p, p) with p counting on from the
 * previous maximum + 1; the (h/m)*(w/m) pad tokens of an image starting at text position s get (s, s + row, s + col)
 * (images have temporal index 0), and the text after it continues at s + max(h/m, w/m).
 * Positions depend only on earlier tokens, which is what makes prefix sharing exact.
 *
 * @param t       temporal axis, one entry per token
 * @param h       height axis
 * @param w       width axis
 * @param next    the position the next appended token gets (max + 1): generation continues from here
 */
public record MropePositions(long[] t, long[] h, long[] w, long next) {

    /** Positions of {@code ids}; {@code grids} are (t, h, w) in patches, in the order the images appear. */
    public static MropePositions of(int[] ids, List<int[]> grids, int imageTokenId, int mergeSize) {
        int n = ids.length;
        long[] t = new long[n], h = new long[n], w = new long[n];
        long next = 0;
        int img = 0;
        for (int i = 0; i < n; ) {
            if (ids[i] != imageTokenId) {
                t[i] = h[i] = w[i] = next++;
                i++;
                continue;
            }
            if (img >= grids.size())
                throw new IllegalArgumentException("prompt has more image-token runs than images (" + grids.size() + ")");
            int[] g = grids.get(img++);
            int lt = g[0], lh = g[1] / mergeSize, lw = g[2] / mergeSize;
            int count = lt * lh * lw;
            if (i + count > n) throw new IllegalArgumentException("image " + (img - 1) + " needs " + count + " image tokens at " + i + " but the prompt ends");
            long s = next;
            int k = i;
            for (int f = 0; f < lt; f++)
                for (int y = 0; y < lh; y++)
                    for (int x = 0; x < lw; x++, k++) {
                        if (ids[k] != imageTokenId)
                            throw new IllegalArgumentException("image " + (img - 1) + " expects " + count + " image tokens from " + i + " but token " + k + " is " + ids[k]);
                        t[k] = s;
                        h[k] = s + y;
                        w[k] = s + x;
                    }
            next = s + Math.max(lt > 0 ? 1 : 0, Math.max(lh, lw));
            i = k;
        }
        if (img != grids.size()) throw new IllegalArgumentException("prompt has " + img + " image-token runs but " + grids.size() + " images");
        return new MropePositions(t, h, w, next);
    }

    public int length() { return t.length; }
}
