package org.leverplus.selector;

import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/** Copies between Java arrays and LibTorch CPU tensors, and the few small tensor helpers the selector shares. */
public final class Tensors {
    private Tensors() {}

    /** A new float32 CPU tensor holding a copy of {@code data}. */
    public static Tensor floats(float[] data, long... shape) {
        try (FloatPointer p = new FloatPointer(data)) {
            return torch.from_blob(p, shape, new TensorOptions(ScalarType.Float)).clone();
        }
    }

    /** A new int64 CPU tensor holding a copy of {@code data}. */
    public static Tensor longs(long[] data, long... shape) {
        try (LongPointer p = new LongPointer(data)) {
            return torch.from_blob(p, shape, new TensorOptions(ScalarType.Long)).clone();
        }
    }

    /** A new bool CPU tensor holding a copy of {@code data}. */
    public static Tensor bools(boolean[] data, long... shape) {
        byte[] b = new byte[data.length];
        for (int i = 0; i < data.length; i++) b[i] = (byte) (data[i] ? 1 : 0);
        try (BytePointer p = new BytePointer(b)) {
            return torch.from_blob(p, shape, new TensorOptions(ScalarType.Bool)).clone();
        }
    }

    /** The elements of a float tensor (any device, any layout) in row-major order. */
    public static float[] toFloats(Tensor t) {
        Tensor c = t.detach().to(ScalarType.Float).cpu().contiguous();
        float[] out = new float[(int) c.numel()];
        new FloatPointer(c.data_ptr()).capacity(out.length).get(out);
        return out;
    }

    /** The elements of an integer tensor as longs. */
    public static long[] toLongs(Tensor t) {
        Tensor c = t.detach().to(ScalarType.Long).cpu().contiguous();
        long[] out = new long[(int) c.numel()];
        new LongPointer(c.data_ptr()).capacity(out.length).get(out);
        return out;
    }

    public static long[] shape(Tensor t) {
        long[] s = new long[(int) t.dim()];
        for (int i = 0; i < s.length; i++) s[i] = t.size(i);
        return s;
    }

    public static Scalar scalar(double v) {
        return new Scalar(v);
    }

    private static final org.bytedeco.pytorch.ScalarOptional P2 = retained(new org.bytedeco.pytorch.ScalarOptional(retained(new Scalar(2.0))));
    private static final Scalar EPS = retained(new Scalar(1e-12));

    /** A native constant that no PointerScope may free (created once, lives as long as the process). */
    private static <P extends org.bytedeco.javacpp.Pointer> P retained(P p) {
        p.retainReference();
        return p;
    }

    /** F.normalize(x, p=2, dim=-1, eps=1e-12): x / max(||x||, eps). */
    public static Tensor l2normalize(Tensor x) {
        Tensor n = x.norm(P2, new long[]{x.dim() - 1}, true);
        return x.div(n.clamp_min(EPS));
    }

    /** Sum over one dimension. */
    public static Tensor sum(Tensor x, long dim, boolean keep) {
        return x.sum(new long[]{dim}, keep, new ScalarTypeOptional());
    }

    public static Tensor mean(Tensor x, long dim, boolean keep) {
        return x.mean(new long[]{dim}, keep, new ScalarTypeOptional());
    }
}
