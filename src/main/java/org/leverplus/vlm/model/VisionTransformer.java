package org.leverplus.vlm.model;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;

import java.util.ArrayList;
import java.util.List;

/**
 * Qwen2_5_VisionTransformerPretrainedModel: patch embedding, window permutation of merge units, blocks (window
 * attention except the full-attention blocks named in the config), patch merger, and the inverse permutation, so the
 * output rows are the merged tokens in raster order, image after image.
 */
public final class VisionTransformer {
    private final ModelDims.Vision dims;
    private final VisionPatchEmbed patchEmbed;
    private final VisionRotaryEmbedding rotary;
    private final List<VisionBlock> blocks;
    private final PatchMerger merger;
    private final Device device;

    private VisionTransformer(ModelDims.Vision dims, VisionPatchEmbed patchEmbed, List<VisionBlock> blocks, PatchMerger merger, Device device) {
        this.dims = dims; this.patchEmbed = patchEmbed; this.blocks = blocks; this.merger = merger; this.device = device;
        this.rotary = new VisionRotaryEmbedding(dims.headDim());
    }

    public static VisionTransformer load(ParameterLoader p, ModelDims.Vision v) {
        List<VisionBlock> blocks = new ArrayList<>();
        for (int i = 0; i < v.depth(); i++) blocks.add(VisionBlock.load(p, i, v));
        return new VisionTransformer(v, VisionPatchEmbed.load(p, v), blocks, PatchMerger.load(p, v), p.device());
    }

    /**
     * pixelValues [patches, 1176] for the images in order (rows in merge-block order, as the processor writes them),
     * grids {t, h, w} in patches; returns [patches/unit, outHidden] in the model dtype.
     */
    public Tensor forward(Tensor pixelValues, List<int[]> grids) {
        VisionGrid grid = new VisionGrid(grids, dims);
        int n = grid.patches(), unit = dims.mergeUnit();
        if (pixelValues.dim() != 2 || pixelValues.size(0) != n || pixelValues.size(1) != dims.patchDim())
            throw new IllegalArgumentException("pixel_values must be [" + n + ", " + dims.patchDim() + "] for the given grids, got "
                    + java.util.Arrays.toString(pixelValues.sizes().vec().get()));
        Tensor x = patchEmbed.forward(pixelValues.to(device, pixelValues.scalar_type().intern()));
        Tensor[] cs = rotary.cosSin(grid, unit, device);
        long[] win = grid.windowIndex();
        Tensor winIdx = Tensors.longs(win, device, win.length);
        x = x.reshape(n / unit, unit, -1).index_select(0, winIdx).reshape(n, -1);
        int[] cuWindow = grid.cuWindowSeqlens(), cuFull = grid.cuSeqlens();
        for (int i = 0; i < blocks.size(); i++) {
            int[] cu = dims.fullAttentionBlocks().contains(i) ? cuFull : cuWindow;
            x = blocks.get(i).forward(x, cs[0], cs[1], cu);
        }
        Tensor merged = merger.forward(x);
        long[] rev = grid.reverseIndex();
        return merged.index_select(0, Tensors.longs(rev, device, rev.length));
    }
}
