package org.leverplus.vlm.model;

import java.util.ArrayList;
import java.util.List;

/**
 * Index bookkeeping of the vision tower for a list of images (grids in patches, t x h x w), computed in Java once per
 * call: per-patch (row, col) in merge-block order ({@code rot_pos_emb}), the window permutation of merge units and
 * its window boundaries ({@code get_window_index}), and the per-frame boundaries for the full-attention blocks.
 */
public final class VisionGrid {
    private final long[] rowPos, colPos;   // per patch, in pixel_values row order
    private final long[] windowIndex;      // merge-unit permutation: position k holds unit windowIndex[k]
    private final int[] cuWindowSeqlens;   // patch boundaries of windows after the permutation (deduplicated)
    private final int[] cuSeqlens;         // patch boundaries of frames
    private final int maxGrid;

    public VisionGrid(List<int[]> grids, ModelDims.Vision v) {
        int m = v.mergeSize(), unit = v.mergeUnit(), vws = v.windowUnits();
        int patches = 0;
        for (int[] g : grids) {
            if (g[1] % m != 0 || g[2] % m != 0)
                throw new IllegalArgumentException("image grid " + g[0] + "x" + g[1] + "x" + g[2] + " is not a multiple of merge size " + m);
            patches += g[0] * g[1] * g[2];
        }
        rowPos = new long[patches];
        colPos = new long[patches];
        List<Long> win = new ArrayList<>();
        List<Integer> cuWin = new ArrayList<>();
        List<Integer> cu = new ArrayList<>();
        cuWin.add(0);
        cu.add(0);
        int p = 0, unitBase = 0, mx = 0;
        for (int[] g : grids) {
            int t = g[0], h = g[1], w = g[2];
            mx = Math.max(mx, Math.max(h, w));
            for (int f = 0; f < t; f++) {
                for (int bh = 0; bh < h / m; bh++)
                    for (int bw = 0; bw < w / m; bw++)
                        for (int i = 0; i < m; i++)
                            for (int j = 0; j < m; j++) {
                                rowPos[p] = (long) bh * m + i;
                                colPos[p] = (long) bw * m + j;
                                p++;
                            }
                cu.add(cu.get(cu.size() - 1) + h * w);
            }
            // windows of vws x vws merge units, row-major; the grid is padded at bottom/right to a multiple
            // (the reference always adds vws - n % vws, i.e. a full empty window row when divisible; empty windows
            // contribute zero-length entries that unique_consecutive removes)
            int lh = h / m, lw = w / m;
            int nwh = (lh + vws - lh % vws) / vws, nww = (lw + vws - lw % vws) / vws;
            for (int f = 0; f < t; f++)
                for (int wy = 0; wy < nwh; wy++)
                    for (int wx = 0; wx < nww; wx++) {
                        int count = 0;
                        for (int y = wy * vws; y < Math.min((wy + 1) * vws, lh); y++)
                            for (int x = wx * vws; x < Math.min((wx + 1) * vws, lw); x++) {
                                win.add((long) unitBase + (long) f * lh * lw + (long) y * lw + x);
                                count++;
                            }
                        int next = cuWin.get(cuWin.size() - 1) + count * unit;
                        if (next != cuWin.get(cuWin.size() - 1)) cuWin.add(next);
                    }
            unitBase += t * lh * lw;
        }
        windowIndex = win.stream().mapToLong(Long::longValue).toArray();
        cuWindowSeqlens = cuWin.stream().mapToInt(Integer::intValue).toArray();
        cuSeqlens = cu.stream().mapToInt(Integer::intValue).toArray();
        maxGrid = mx;
    }

    public long[] rowPos() { return rowPos.clone(); }

    public long[] colPos() { return colPos.clone(); }

    /** The merge-unit permutation ({@code window_index}). */
    public long[] windowIndex() { return windowIndex.clone(); }

    /** The inverse permutation ({@code argsort(window_index)}), which restores raster order after the merger. */
    public long[] reverseIndex() {
        long[] r = new long[windowIndex.length];
        for (int k = 0; k < windowIndex.length; k++) r[(int) windowIndex[k]] = k;
        return r;
    }

    /** Window boundaries in patches after the permutation ({@code cu_window_seqlens}, deduplicated). */
    public int[] cuWindowSeqlens() { return cuWindowSeqlens.clone(); }

    /** Frame boundaries in patches ({@code cu_seqlens}). */
    public int[] cuSeqlens() { return cuSeqlens.clone(); }

    public int patches() { return rowPos.length; }

    public int maxGrid() { return maxGrid; }
}
