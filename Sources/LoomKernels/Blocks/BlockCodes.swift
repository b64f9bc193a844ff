// BlockCodes: the codes ggml's reference quantizers give one 32-value block, shared by the 4- and
// 5-bit types (`quantize_row_q4_0_ref`/`q5_0` and `q4_1`/`q5_1` differ only in their constants),
// and the nibble / fifth-bit packing of those codes.
//
//   zero point z (Q4_0 z = 8, Q5_0 z = 16): m = the value of largest magnitude (the first of
//       equals), d = m / −z, q = min(2z − 1, trunc(x/d + z + 0.5))
//   minimum, s steps (Q4_1 s = 15, Q5_1 s = 31): d = (max − min)/s, q = min(s, trunc((x − min)/d + 0.5))
//   nibbles: qs[j] = (q[j] & 0x0F) | (q[j + 16] & 0x0F) << 4     fifth bits: bit j of qh = q[j] >> 4
// d is computed in f32 (1/d as the multiplier) and stored as fp16 by the caller, as ggml does.

enum BlockCodes {
    /// Zero-point codes of the 32 values at `v`, with the scale d.
    @inline(__always)
    static func zeroPoint(_ v: UnsafePointer<Float>, z: Float) -> (d: Float, q: SIMD32<UInt8>) {
        var amax: Float = 0, m: Float = 0
        for j in 0..<32 where abs(v[j]) > amax { amax = abs(v[j]); m = v[j] }
        let d = m / -z
        let id: Float = d != 0 ? 1 / d : 0
        let top = Int8(2 * z - 1), offset = z + 0.5
        var q = SIMD32<UInt8>()
        for j in 0..<32 { q[j] = UInt8(max(0, min(top, Quantize.truncatedInt8(v[j] * id + offset)))) }
        return (d, q)
    }

    /// Minimum-and-step codes of the 32 values at `v`, with the scale d and the minimum.
    @inline(__always)
    static func minimum(_ v: UnsafePointer<Float>, steps: Float) -> (d: Float, min: Float, q: SIMD32<UInt8>) {
        var lo = Float.greatestFiniteMagnitude, hi = -Float.greatestFiniteMagnitude
        for j in 0..<32 { lo = min(lo, v[j]); hi = max(hi, v[j]) }
        let d = (hi - lo) / steps
        let id: Float = d != 0 ? 1 / d : 0
        let top = Int8(steps)
        var q = SIMD32<UInt8>()
        for j in 0..<32 { q[j] = UInt8(max(0, min(top, Quantize.truncatedInt8((v[j] - lo) * id + 0.5)))) }
        return (d, lo, q)
    }

    /// Stores the low 4 bits of the codes as 16 bytes of nibbles at `qs`.
    @inline(__always)
    static func storeNibbles(_ q: SIMD32<UInt8>, into qs: UnsafeMutableRawPointer) {
        for j in 0..<16 { qs.storeBytes(of: (q[j] & 0x0F) | (q[j + 16] & 0x0F) << 4, toByteOffset: j, as: UInt8.self) }
    }

    /// The fifth bits of the codes (bit j = bit 4 of q[j]).
    @inline(__always)
    static func fifthBits(_ q: SIMD32<UInt8>) -> UInt32 {
        var qh: UInt32 = 0
        for j in 0..<32 { qh |= UInt32(q[j] >> 4 & 1) << UInt32(j) }
        return qh
    }
}
