package org.leverplus.vlm.text;

/**
 * Multimodal rotary positions of one sequence, as {@code Qwen2_5_VLModel.get_rope_index} computes them:
 * {@code [3][length]} (temporal, height, width) and the {@code rope_delta} used while decoding.
 *
 * <p>Text tokens get equal positions on all three axes, counting on from the previous maximum + 1. The
 * {@code (t*h/2*w/2)} pad tokens of an image whose first pad would sit at text position {@code s} get
 * {@code (s + 0, s + row, s + col)} over the merged grid (still images have temporal index 0); the next text token
 * continues at {@code max + 1}. {@code ropeDelta = max + 1 - length}: a token generated at cache index {@code c}
 * gets position {@code c + ropeDelta} on all axes.
 *
 * @param positions {@code positions[axis][token]}
 * @param ropeDelta {@code max position + 1 - length} (negative when images are present)
 */
public record PositionIds(long[][] positions, long ropeDelta) {
    public PositionIds {
        if (positions.length != 3 || positions[1].length != positions[0].length || positions[2].length != positions[0].length)
            throw new IllegalArgumentException("positions must be [3][length]");
    }

    public int length() { return positions[0].length; }

    /** Row-major {@code [3 * length]} copy (axis-major), the layout of a {@code [3, 1, L]} tensor. */
    public long[] flat() {
        int n = length();
        long[] out = new long[3 * n];
        for (int a = 0; a < 3; a++) System.arraycopy(positions[a], 0, out, a * n, n);
        return out;
    }
}
