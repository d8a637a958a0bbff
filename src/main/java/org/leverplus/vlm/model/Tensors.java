package org.leverplus.vlm.model;

import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.LongPointer;
import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.DeviceOptional;
import org.bytedeco.pytorch.Scalar;
import org.bytedeco.pytorch.ScalarTypeOptional;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.TensorOptional;
import org.bytedeco.pytorch.TensorOptions;
import org.bytedeco.pytorch.TensorVector;
import org.bytedeco.pytorch.global.torch;
import org.bytedeco.pytorch.global.torch.ScalarType;

/** Small LibTorch helpers shared by the model blocks and the engine: array transfer, linear, rotate_half. */
public final class Tensors {
    private Tensors() {}

    /** An owned int64 tensor with the given values and shape, on {@code device}. */
    public static Tensor longs(long[] values, Device device, long... shape) {
        try (LongPointer p = new LongPointer(values)) {
            Tensor t = torch.from_blob(p, shape, new TensorOptions(ScalarType.Long)).clone();
            return device == null || !device.is_cuda() ? t : t.to(device, ScalarType.Long);
        }
    }

    /** An owned float32 tensor with the given values and shape, on {@code device}. */
    public static Tensor floats(float[] values, Device device, long... shape) {
        try (FloatPointer p = new FloatPointer(values)) {
            Tensor t = torch.from_blob(p, shape, new TensorOptions(ScalarType.Float)).clone();
            return device == null || !device.is_cuda() ? t : t.to(device, ScalarType.Float);
        }
    }

    /** The values of any tensor as float32, in row-major order (copies to the CPU when needed). */
    public static float[] toFloats(Tensor t) {
        Tensor c = t.to(new Device("cpu"), ScalarType.Float).contiguous();
        float[] out = new float[(int) c.numel()];
        new FloatPointer(c.data_ptr()).get(out);
        return out;
    }

    /** The values of an integer tensor as longs, in row-major order. */
    public static long[] toLongs(Tensor t) {
        Tensor c = t.to(new Device("cpu"), ScalarType.Long).contiguous();
        long[] out = new long[(int) c.numel()];
        new LongPointer(c.data_ptr()).get(out);
        return out;
    }

    /** {@code x W^T + b}; {@code b} may be null. */
    public static Tensor linear(Tensor x, Tensor w, Tensor b) {
        return b == null ? torch.linear(x, w) : torch.linear(x, w, new TensorOptional(b));
    }

    /** NeoX rotation: {@code cat(-x[..., d/2:], x[..., :d/2])}. */
    public static Tensor rotateHalf(Tensor x) {
        long d = x.size(-1), h = d / 2;
        Tensor x1 = x.narrow(-1, 0, h), x2 = x.narrow(-1, h, d - h);
        return cat(-1, x2.neg(), x1);
    }

    public static Tensor cat(long dim, Tensor... parts) {
        TensorVector v = new TensorVector(parts);
        return torch.cat(v, dim);
    }

    public static Scalar scalar(double v) {
        return new Scalar(v);
    }

    /** Casts to {@code type} unless it already has it. */
    public static Tensor as(Tensor t, ScalarType type) {
        return t.scalar_type().intern() == type ? t : t.to(type);
    }

    /** Mean over the last dimension, keeping it. */
    public static Tensor meanLast(Tensor t) {
        return t.mean(new long[]{-1}, true, new ScalarTypeOptional());
    }

    /**
     * Makes {@code t} outlive the enclosing scopes: one extra reference, which the owner drops with {@code close()};
     * the scope still releases its own reference when it closes (unlike {@code TensorScope.keep}, which detaches).
     */
    public static <T extends org.bytedeco.javacpp.Pointer> T retain(T t) {
        t.retainReference();
        return t;
    }

    static DeviceOptional deviceOpt(Device d) {
        return new DeviceOptional(d);
    }
}
