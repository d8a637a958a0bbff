package org.leverplus.vlm.model;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.Tensor;
import org.bytedeco.pytorch.global.torch.ScalarType;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Copies named checkpoint tensors into owned model parameters of the model's dtype and device, checking shapes.
 * Parameters are detached from any open {@link org.leverplus.torch.TensorScope}: the model owns and closes them.
 */
public final class ParameterLoader {
    private final WeightSource source;
    private final ScalarType dtype;
    private final Device device;
    private final List<Tensor> owned = new ArrayList<>();

    public ParameterLoader(WeightSource source, ModelOptions options) {
        this.source = source;
        this.dtype = options.dtype();
        this.device = Tensors.retain(options.torchDevice()); // outlives the loading scope
    }

    /** The parameter {@code name}, which must have exactly {@code shape}. */
    public Tensor load(String name, long... shape) {
        Tensor raw = source.get(name);
        long[] found = raw.sizes().vec().get();
        if (!Arrays.equals(found, shape))
            throw new IllegalArgumentException("weight " + name + ": expected shape " + Arrays.toString(shape) + " but found " + Arrays.toString(found));
        return own(raw.to(device, dtype).contiguous().clone());
    }

    /** As {@link #load}, reshaped (e.g. the Conv3d patch kernel to a matrix). */
    public Tensor loadAs(String name, long[] storedShape, long... shape) {
        Tensor t = load(name, storedShape);
        Tensor r = own(t.reshape(shape).contiguous().clone());
        return r;
    }

    public boolean contains(String name) { return source.contains(name); }

    /** Registers a tensor the model creates itself (e.g. rotary tables) as owned. */
    public Tensor own(Tensor t) {
        owned.add(Tensors.retain(t));
        return t;
    }

    /** Everything loaded so far, for the model's close(). */
    public List<Tensor> owned() { return owned; }

    public ScalarType dtype() { return dtype; }

    public Device device() { return device; }
}
