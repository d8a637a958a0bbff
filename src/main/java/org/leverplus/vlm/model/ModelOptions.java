package org.leverplus.vlm.model;

import org.bytedeco.pytorch.Device;
import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Where and in which precision the model runs. Norms, rotary tables and softmax statistics are computed in float32
 * whatever {@code dtype} is, as the reference does.
 *
 * @param dtype  activation and weight type: Float or BFloat16
 * @param device "cpu" or "cuda[:n]"
 */
public record ModelOptions(ScalarType dtype, String device) {
    public ModelOptions {
        if (dtype != ScalarType.Float && dtype != ScalarType.BFloat16)
            throw new IllegalArgumentException("model dtype must be Float or BFloat16, got " + dtype);
        if (device == null || !(device.equals("cpu") || device.startsWith("cuda")))
            throw new IllegalArgumentException("device must be cpu or cuda[:n], got " + device);
    }

    /** float32 on the CPU. */
    public static ModelOptions defaults() { return new ModelOptions(ScalarType.Float, "cpu"); }

    public ModelOptions withDtype(ScalarType t) { return new ModelOptions(t, device); }

    public Device torchDevice() { return new Device(device); }

    /** Parses "float32"/"fp32"/"bfloat16"/"bf16". */
    public static ScalarType parseDtype(String s) {
        return switch (s.toLowerCase(java.util.Locale.ROOT)) {
            case "float32", "fp32", "float" -> ScalarType.Float;
            case "bfloat16", "bf16" -> ScalarType.BFloat16;
            default -> throw new IllegalArgumentException("dtype must be float32 or bfloat16, got '" + s + "'");
        };
    }
}
