package org.leverplus.hf;

/** The safetensors dtypes a snapshot may hold, with their byte widths. Model weights are BF16, F16 or F32. */
public enum WeightDtype {
    BF16(2), F16(2), F32(4), F64(8), I64(8), I32(4), I16(2), I8(1), U8(1), BOOL(1);

    private final int bytes;

    WeightDtype(int bytes) { this.bytes = bytes; }

    /** Bytes per element. */
    public int bytes() { return bytes; }

    /** Whether the engine accepts this dtype for model weights. */
    public boolean isFloatWeight() { return this == BF16 || this == F16 || this == F32; }

    /** Parses the header spelling ({@code "BF16"}); unknown spellings are an error naming them. */
    public static WeightDtype parse(String s) {
        for (WeightDtype d : values()) if (d.name().equals(s)) return d;
        throw new IllegalArgumentException("unsupported safetensors dtype \"" + s + "\"");
    }
}
