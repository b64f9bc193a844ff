// BF16 GEMV (decode): out[r] = row r · x for row-major bf16 weights, four rows per pass so that
// each 16 values of x are loaded once for four rows (8 independent FMA chains). bf16 widens to f32
// exactly (the 16 bits shifted up), so the products are exact and only the f32 sums round.
//
// Each row's arithmetic is FloatRows.dotBF16's, step for step (two 8-lane chains over 16-value
// steps, the same tree sum, the same scalar tail), so a row gives the same bits whether it falls in
// a group of four or is done alone: results depend neither on the row split nor on the thread count.
// (AVX-512 BF16's vdpbf16ps would round x to bf16 — not within f32 rounding of the exact dot — and its
// vector types are not importable in Swift, see kernels.md; the decode GEMV is memory-bound anyway.)

import LoomTensor
#if LOOM_AVX2
import _Builtin_intrinsics.intel
#endif

extension FloatRows {
    /// out[r] = Σ_j bf16(row r)[j]·x[j] for r in `rows`; rows at `base + r · rowBytes`, `count` values each.
    @inline(__always)
    static func gemvBF16(_ base: UnsafeRawPointer, rowBytes: Int, _ x: UnsafePointer<Float>, count: Int,
                         _ out: UnsafeMutablePointer<Float>, rows: Range<Int>) {
        var r = rows.lowerBound
        #if LOOM_AVX2
        let xr = UnsafeRawPointer(x)
        @inline(__always) func widen(_ p: UnsafeRawPointer, _ o: Int) -> __m256 {
            _mm256_castsi256_ps(_mm256_slli_epi32(_mm256_cvtepu16_epi32(p.loadUnaligned(fromByteOffset: o, as: __m128i.self)), 16))
        }
        while r + 4 <= rows.upperBound {
            let p0 = base + r * rowBytes, p1 = p0 + rowBytes, p2 = p1 + rowBytes, p3 = p2 + rowBytes
            var a0 = _mm256_setzero_ps(), b0 = a0, a1 = a0, b1 = a0, a2 = a0, b2 = a0, a3 = a0, b3 = a0
            var i = 0
            while i + 16 <= count {
                let x0 = xr.loadUnaligned(fromByteOffset: 4 &* i, as: __m256.self)
                let x1 = xr.loadUnaligned(fromByteOffset: 4 &* i &+ 32, as: __m256.self)
                let o = 2 &* i
                a0 = _mm256_fmadd_ps(widen(p0, o), x0, a0); b0 = _mm256_fmadd_ps(widen(p0, o &+ 16), x1, b0)
                a1 = _mm256_fmadd_ps(widen(p1, o), x0, a1); b1 = _mm256_fmadd_ps(widen(p1, o &+ 16), x1, b1)
                a2 = _mm256_fmadd_ps(widen(p2, o), x0, a2); b2 = _mm256_fmadd_ps(widen(p2, o &+ 16), x1, b2)
                a3 = _mm256_fmadd_ps(widen(p3, o), x0, a3); b3 = _mm256_fmadd_ps(widen(p3, o &+ 16), x1, b3)
                i &+= 16
            }
            out[r] = tailBF16(p0, x, from: i, count: count, reduce8(_mm256_add_ps(a0, b0)))
            out[r + 1] = tailBF16(p1, x, from: i, count: count, reduce8(_mm256_add_ps(a1, b1)))
            out[r + 2] = tailBF16(p2, x, from: i, count: count, reduce8(_mm256_add_ps(a2, b2)))
            out[r + 3] = tailBF16(p3, x, from: i, count: count, reduce8(_mm256_add_ps(a3, b3)))
            r += 4
        }
        #endif
        while r < rows.upperBound {
            out[r] = dotBF16(base + r * rowBytes, x, count: count)
            r += 1
        }
    }

    /// s + Σ row[j]·x[j] for j in i..<count, in order (dotBF16's scalar tail).
    @inline(__always)
    static func tailBF16(_ p: UnsafeRawPointer, _ x: UnsafePointer<Float>, from i: Int, count: Int, _ s: Float) -> Float {
        let h = p.assumingMemoryBound(to: UInt16.self)
        var s = s, j = i
        while j < count { s += Half.f32(fromBF16: h[j]) * x[j]; j += 1 }
        return s
    }
}
