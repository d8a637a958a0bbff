package org.leverplus.vlm.text;

import org.leverplus.vlm.image.ImageGrid;

import java.util.List;

/** Computes {@link PositionIds} for a token sequence and its images (Qwen2.5-VL {@code get_rope_index}, images only). */
public final class MRopeIndex {
    private MRopeIndex() {}

    /**
     * @param ids          token ids of one unpadded sequence
     * @param grids        image grids in the order their pad runs appear
     * @param imageTokenId the {@code <|image_pad|>} id (151655)
     * @param mergeSize    spatial merge size (2)
     * @throws IllegalArgumentException when the pad tokens do not match the grids (count or contiguity), naming both
     */
    public static PositionIds compute(int[] ids, List<ImageGrid> grids, int imageTokenId, int mergeSize) {
        long[][] pos = new long[3][ids.length];
        long next = 0;      // position of the next text token: previous max + 1
        int image = 0;
        int i = 0;
        while (i < ids.length) {
            if (ids[i] != imageTokenId) {
                pos[0][i] = pos[1][i] = pos[2][i] = next;
                next++;
                i++;
                continue;
            }
            if (image >= grids.size())
                throw new IllegalArgumentException("image token at position " + i + " but only " + grids.size() + " image grid(s) were given");
            ImageGrid g = grids.get(image);
            int lh = g.llmH(mergeSize), lw = g.llmW(mergeSize), n = g.tokens(mergeSize);
            if (i + n > ids.length)
                throw new IllegalArgumentException("image " + image + " with grid " + g + " needs " + n + " image tokens from position " + i + " but the sequence ends at " + ids.length);
            long s = next;
            int k = i;
            for (int t = 0; t < g.t(); t++) {
                for (int r = 0; r < lh; r++) {
                    for (int c = 0; c < lw; c++, k++) {
                        if (ids[k] != imageTokenId)
                            throw new IllegalArgumentException("image " + image + " with grid " + g + " needs " + n + " consecutive image tokens from position "
                                    + i + " but position " + k + " holds token " + ids[k]);
                        // Still images: the temporal index is 0 (second_per_grid_t = 0).
                        pos[0][k] = s;
                        pos[1][k] = s + r;
                        pos[2][k] = s + c;
                    }
                }
            }
            next = s + Math.max(lh, lw);   // max position of the image + 1
            i += n;
            image++;
        }
        if (image != grids.size())
            throw new IllegalArgumentException(grids.size() + " image grid(s) given but the sequence holds image tokens for " + image);
        return new PositionIds(pos, next - ids.length);
    }

    /**
     * Positions for one row of a padded batch, as {@code get_rope_index} treats {@code attention_mask}: positions are
     * computed over the tokens with {@code mask[i] == true} only, and padded slots get position 1 on all axes.
     * {@code ropeDelta} is {@code max + 1 - rowLength} with the padded row length, as in transformers.
     */
    public static PositionIds computeMasked(int[] ids, boolean[] mask, List<ImageGrid> grids, int imageTokenId, int mergeSize) {
        if (mask.length != ids.length) throw new IllegalArgumentException("mask has " + mask.length + " entries but there are " + ids.length + " tokens");
        int n = 0;
        for (boolean m : mask) if (m) n++;
        int[] kept = new int[n];
        for (int i = 0, j = 0; i < ids.length; i++) if (mask[i]) kept[j++] = ids[i];
        PositionIds inner = compute(kept, grids, imageTokenId, mergeSize);
        long[][] pos = new long[3][ids.length];
        long max = n == 0 ? 0 : Long.MIN_VALUE;
        for (int a = 0; a < 3; a++) {
            for (int i = 0, j = 0; i < ids.length; i++) {
                pos[a][i] = mask[i] ? inner.positions()[a][j++] : 1;
                if (mask[i]) max = Math.max(max, pos[a][i]);
            }
        }
        return new PositionIds(pos, (n == 0 ? 0 : max + 1) - ids.length);
    }
}
