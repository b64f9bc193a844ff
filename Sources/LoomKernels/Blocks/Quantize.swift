// Float → int8 conversions with C's semantics for the values ggml's quantizers produce, and a
// defined result (instead of a trap) for NaN and out-of-range inputs that a broken file can carry.

enum Quantize {
    /// C's `(int8_t)x` for |x| < 128 (truncation toward zero); NaN → 0; saturates outside.
    @inline(__always)
    static func truncatedInt8(_ x: Float) -> Int8 {
        guard x.isFinite else { return x.isNaN ? 0 : (x > 0 ? .max : .min) }
        return Int8(max(-128, min(127, x.rounded(.towardZero))))
    }

    /// C's `roundf` (halves away from zero) to int8; NaN → 0; saturates outside.
    @inline(__always)
    static func roundedInt8(_ x: Float) -> Int8 {
        guard x.isFinite else { return x.isNaN ? 0 : (x > 0 ? .max : .min) }
        return Int8(max(-128, min(127, x.rounded(.toNearestOrAwayFromZero))))
    }
}
