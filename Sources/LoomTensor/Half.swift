// fp16 and bf16 ↔ f32 conversion, bit-exact with ggml.
//
// fp16 (IEEE binary16): 1 sign, 5 exponent, 10 mantissa bits. f32 → f16 rounds to nearest, ties to
// even, as F16C's `vcvtps2ph` (imm 0) and ggml's `GGML_FP32_TO_FP16` do; overflow gives ±inf; NaN
// stays NaN. Swift's `Float16` implements exactly that and compiles to F16C where available.
//
// bf16 (bfloat16): the top 16 bits of an f32. f32 → bf16 follows `ggml_compute_fp32_to_bf16`:
// NaN becomes a quiet NaN keeping the upper payload bits (`(bits >> 16) | 64`), everything else is
// rounded to nearest, ties to even (`(bits + 0x7fff + ((bits >> 16) & 1)) >> 16`); no flush of
// subnormals. bf16 → f32 is exact (`bits << 16`).

/// Converts between f32 and the 16-bit float formats GGUF stores.
public enum Half {
    /// The f32 value of the fp16 whose bit pattern is `bits` (exact).
    @inlinable
    public static func f32(fromF16 bits: UInt16) -> Float {
        Float(Float16(bitPattern: bits))
    }

    /// The fp16 bit pattern nearest to `value` (ties to even; NaN stays NaN).
    @inlinable
    public static func f16(from value: Float) -> UInt16 {
        Float16(value).bitPattern
    }

    /// The f32 value of the bf16 whose bit pattern is `bits` (exact).
    @inlinable
    public static func f32(fromBF16 bits: UInt16) -> Float {
        Float(bitPattern: UInt32(bits) << 16)
    }

    /// The bf16 bit pattern for `value`, rounded as ggml rounds (nearest, ties to even; quiet NaN).
    @inlinable
    public static func bf16(from value: Float) -> UInt16 {
        let bits = value.bitPattern
        if bits & 0x7fff_ffff > 0x7f80_0000 {
            return UInt16(truncatingIfNeeded: (bits >> 16) | 64)
        }
        let rounded = bits &+ (0x7fff &+ ((bits >> 16) & 1))
        return UInt16(truncatingIfNeeded: rounded >> 16)
    }
}
