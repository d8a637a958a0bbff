package org.leverplus.vlm.model;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Qwen2_5_VisionRotaryEmbedding and rot_pos_emb: {@code inv_freq[j] = 10000^(-2j/(headDim/2))}; each patch's angle
 * vector is {@code cat(row*inv_freq, col*inv_freq)}, permuted into window order, then {@code cat(emb, emb)}.
 * Computed in float32 with the same operations as the reference, so the tables match bit for bit.
 */
public final class VisionRotaryEmbedding {
    private final int headDim;

    public VisionRotaryEmbedding(int headDim) { this.headDim = headDim; }

    /** (cos, sin), each [patches, headDim] float32, rows in window order. */
    public Tensor[] cosSin(VisionGrid grid, int mergeUnit, Device device) {
        int dim = headDim / 2;
        TensorOptions f32 = new TensorOptions(ScalarType.Float);
        Tensor invFreq = torch.pow(Tensors.scalar(10000.0),
                torch.arange(Tensors.scalar(0), Tensors.scalar(dim), Tensors.scalar(2), f32).div(Tensors.scalar(dim))).reciprocal();
        Tensor seq = torch.arange(Tensors.scalar(grid.maxGrid()), f32);
        Tensor table = torch.outer(seq, invFreq); // [maxGrid, dim/2]
        int n = grid.patches();
        Tensor rows = table.index_select(0, Tensors.longs(grid.rowPos(), null, n));
        Tensor cols = table.index_select(0, Tensors.longs(grid.colPos(), null, n));
        Tensor rot = Tensors.cat(1, rows, cols);
        long[] win = grid.windowIndex();
        rot = rot.reshape(n / mergeUnit, mergeUnit, dim).index_select(0, Tensors.longs(win, null, win.length)).reshape(n, dim);
        Tensor emb = Tensors.cat(1, rot, rot);
        Tensor cos = emb.cos(), sin = emb.sin();
        if (device.is_cuda()) {
            cos = cos.to(device, ScalarType.Float);
            sin = sin.to(device, ScalarType.Float);
        }
        return new Tensor[]{cos, sin};
    }

    /** The reference's apply_rotary_pos_emb_vision: rotate in float32, cast back. x [n, heads, headDim], cos/sin [n, headDim]. */
    static Tensor apply(Tensor x, Tensor cos, Tensor sin) {
        ScalarType dt = x.scalar_type().intern();
        Tensor xf = Tensors.as(x, ScalarType.Float);
        Tensor c = cos.unsqueeze(-2), s = sin.unsqueeze(-2);
        return Tensors.as(xf.mul(c).add(Tensors.rotateHalf(xf).mul(s)), dt);
    }
}
