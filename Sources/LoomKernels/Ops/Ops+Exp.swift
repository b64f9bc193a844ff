// Vectorized exp for f32: a port of ggml's AVX2 `ggml_v_expf` (ggml-cpu/vec.h) to portable Swift SIMD.
//
//   n = round(x·log2 e)                    (via the 1.5·2²³ magic constant: z = fma(x, log2e, 0x1.8p23))
//   b = x − n·ln2_hi − n·ln2_lo            (Cody–Waite reduction, |b| ≤ ln2/2)
//   j ≈ eᵇ − 1                              (degree-5 minimax polynomial, ggml's coefficients)
//   eˣ = 2ⁿ + 2ⁿ·j                         (2ⁿ built from the exponent bits of z)
// When |n| > 126 the result is built as s1·(s2 + s2·j) with two in-range powers of two (gives ±inf,
// 0 and subnormals correctly); |n| > 192 saturates to 0 or +inf. −inf → 0, +inf → +inf, NaN → NaN.
//
// Accuracy (measured by OpsActivationTests over [−87, 88] against Foundation `exp` in Double):
// max relative error 1.9e-7 (≈ 1.6 ulp; tests assert < 3e-7) for normal results; subnormal results
// are within 2e-45 absolute. `exp(0)` is exactly 1.

extension Ops {
    /// eˣ lane-wise; max relative error < 3e-7 vs the correctly rounded value (see file header).
    @inline(__always)
    public static func exp(_ x: SIMD8<Float>) -> SIMD8<Float> {
        let magic = V8(repeating: 0x1.8p23)
        let z = magic.addingProductFast(x, V8(repeating: 0x1.715476p+0))
        let n = z - magic
        // b = x − n·ln2 in two steps (fnmadd ≡ addingProduct with a negated constant).
        let b = (x.addingProductFast(n, V8(repeating: -0x1.62e4p-1)))
            .addingProductFast(n, V8(repeating: -0x1.7f7d1cp-20))
        let zBits = unsafeBitCast(z, to: SIMD8<UInt32>.self)
        let e = zBits &<< 23
        let k = unsafeBitCast(e &+ 0x3F80_0000, to: V8.self)  // 2ⁿ (valid for |n| ≤ 126)
        let u = b * b
        let p1 = V8(repeating: 0x1.573e2ep-5).addingProductFast(V8(repeating: 0x1.0e4020p-7), b)
        let p2 = V8(repeating: 0x1.fffdb6p-2).addingProductFast(V8(repeating: 0x1.555e66p-3), b)
        let j = (V8(repeating: 0x1.ffffecp-1) * b).addingProductFast(p2.addingProductFast(p1, u), u)
        let big = (n .> 126) .| (n .< -126)
        if !any(big) {
            return k.addingProductFast(k, j)
        }
        return expFixup(n: n, e: e, j: j, k: k, big: big)
    }

    /// The |n| > 126 branch of `exp` (rare: results beyond the normal f32 exponent range).
    @inline(never)
    static func expFixup(
        n: V8, e: SIMD8<UInt32>, j: V8, k: V8, big: SIMDMask<SIMD8<Int32>>
    ) -> V8 {
        var g = SIMD8<UInt32>(repeating: 0)
        g.replace(with: 0x8200_0000, where: n .<= 0)
        let s1 = unsafeBitCast(g &+ 0x7F00_0000, to: V8.self)
        let s2 = unsafeBitCast(e &- g, to: V8.self)
        var r = k.addingProductFast(k, j)
        r.replace(with: (s2.addingProductFast(s2, j)) * s1, where: big)
        let huge = (n .> 192) .| (n .< -192)
        r.replace(with: s1 * s1, where: huge)
        return r
    }

    /// eˣ for one float through the vector path (same accuracy as the SIMD `exp`).
    @inline(__always)
    public static func exp(_ x: Float) -> Float {
        exp(V8(repeating: x))[0]
    }

    /// out[i] = e^(x[i]) for n floats; `out` may alias `x`.
    /// - x: [n], out: [n]
    public static func exp(_ x: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, n: Int) {
        precondition(n >= 0, "exp: n must be ≥ 0")
        var i = 0
        while i + 8 <= n {
            store8(exp(load8(x + i)), out + i)
            i += 8
        }
        if i < n {
            storeTail(exp(loadTail(x + i, n - i)), out + i, n - i)
        }
    }

    /// Loads the first `count` (< 8) floats at `p` into the low lanes of a zeroed vector.
    @inline(__always)
    static func loadTail(_ p: UnsafePointer<Float>, _ count: Int) -> V8 {
        var v = V8()
        for l in 0..<count { v[l] = p[l] }
        return v
    }

    /// Stores the low `count` (< 8) lanes of `v` at `p`.
    @inline(__always)
    static func storeTail(_ v: V8, _ p: UnsafeMutablePointer<Float>, _ count: Int) {
        for l in 0..<count { p[l] = v[l] }
    }
}
