package org.leverplus.io;

import org.bytedeco.pytorch.global.torch.ScalarType;

/**
 * Element types of the safetensors format that Lever reads and writes, with their LibTorch scalar types. Declared in
 * the order of the reference implementation's {@code Dtype} enum: its writer orders tensors by descending dtype, then
 * by name, and we do the same so that files are byte-identical.
 */
public enum SafetensorsDtype {
    BOOL(1), U8(1), I8(1), I16(2), F16(2), BF16(2), I32(4), F32(4), F64(8), I64(8);

    private final int size;

    SafetensorsDtype(int size) {
        this.size = size;
    }

    /** Bytes per element. */
    public int size() {
        return size;
    }

    public ScalarType scalarType() {
        return switch (this) {
            case BOOL -> ScalarType.Bool;
            case U8 -> ScalarType.Byte;
            case I8 -> ScalarType.Char;
            case I16 -> ScalarType.Short;
            case F16 -> ScalarType.Half;
            case BF16 -> ScalarType.BFloat16;
            case I32 -> ScalarType.Int;
            case F32 -> ScalarType.Float;
            case F64 -> ScalarType.Double;
            case I64 -> ScalarType.Long;
        };
    }

    /** The safetensors dtype of a LibTorch scalar type (interned first: enums returned by native code are not canonical). */
    public static SafetensorsDtype of(ScalarType t) {
        return switch (t.intern()) {
            case Bool -> BOOL;
            case Byte -> U8;
            case Char -> I8;
            case Short -> I16;
            case Half -> F16;
            case BFloat16 -> BF16;
            case Int -> I32;
            case Float -> F32;
            case Double -> F64;
            case Long -> I64;
            default -> throw new IllegalArgumentException("safetensors: unsupported tensor dtype " + t.intern());
        };
    }

    /** Parses a header dtype string; null if unknown. */
    public static SafetensorsDtype parse(String s) {
        for (SafetensorsDtype d : values()) if (d.name().equals(s)) return d;
        return null;
    }
}
