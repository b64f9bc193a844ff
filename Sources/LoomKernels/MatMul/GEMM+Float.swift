// Float GEMM for small batches (2…blasMinTokens tokens, F32 and F16 weights, AVX2): tiles of
// 3 weight rows × 4 tokens, so each weight vector is loaded (and widened from fp16) once for four
// tokens instead of once per token, with 12 independent FMA chains (more than the 8 that FMA
// latency × throughput needs, so the chains never wait):
//
//   for each block of 24 rows, for t in tokens step 4, for r in the block step 3:
//     acc[i][j] (8 lanes) += W[r+i][c..c+8] · x[t+j][c..c+8]      i < 3, j < 4, c step 8
//     out[t+j][r+i] = Σ lanes acc[i][j] + scalar tail
//
// The 24-row block (≤ 72 KiB of fp16 weights at 1536 inputs) stays in L1/L2 while every token
// group passes over it. A short last tile (fewer rows or tokens) repeats its last row/token
// pointer and stores only the real outputs, so no token falls back to GEMV.
//
// Each output's sum is the same sequence of operations wherever its tile falls, so results do not
// depend on the thread count or the tile position. Used for an encoder's sentence (BERT: ~20–60
// tokens) and short prompts. Tested against the reference with the other paths (MatMulTests).

import LoomTensor
#if LOOM_AVX2
import _Builtin_intrinsics.intel
#endif

enum FloatGEMM {
    /// Rows per cache block.
    static let blockRows = 12

    /// Whether `run` handles `type` (the panel kernel's types: F32 and F16 with AVX2).
    static func supports(_ type: GGMLType) -> Bool { PanelGEMM.supports(type) }

    /// out[t, r] for t in 0..<tokens, r in `rows`.
    static func run(_ w: PackedMatrix, _ x: UnsafePointer<Float>, tokens: Int, _ out: UnsafeMutablePointer<Float>, rows: Range<Int>) {
        precondition(tokens >= 1 && supports(w.type))
        #if LOOM_AVX2
        var b = rows.lowerBound
        while b < rows.upperBound {
            let blockEnd = min(b + blockRows, rows.upperBound)
            var t = 0
            while t < tokens {
                let tc = min(4, tokens - t)
                var r = b
                while r < blockEnd {
                    tile(w, r, min(3, blockEnd - r), x + t * w.cols, tc, out + t * w.rows)
                    r += 3
                }
                t += 4
            }
            b = blockEnd
        }
        #endif
    }

    #if LOOM_AVX2
    /// Rows r..<r+rowCount (1…3) × tokens 0..<tokenCount (1…4) of `x`.
    @inline(__always)
    static func tile(_ w: PackedMatrix, _ r: Int, _ rowCount: Int, _ x: UnsafePointer<Float>, _ tokenCount: Int,
                     _ out: UnsafeMutablePointer<Float>) {
        let k = w.cols, n = w.rows
        let w0 = w.tail + r * w.rowBytes
        let w1 = rowCount > 1 ? w0 + w.rowBytes : w0
        let w2 = rowCount > 2 ? w0 + 2 * w.rowBytes : w1
        let x0 = UnsafeRawPointer(x)
        let x1 = tokenCount > 1 ? x0 + 4 * k : x0
        let x2 = tokenCount > 2 ? x0 + 8 * k : x1
        let x3 = tokenCount > 3 ? x0 + 12 * k : x2
        let half = w.type == .f16
        var a00 = _mm256_setzero_ps(), a01 = a00, a02 = a00, a03 = a00
        var a10 = a00, a11 = a00, a12 = a00, a13 = a00
        var a20 = a00, a21 = a00, a22 = a00, a23 = a00
        var c = 0
        while c + 8 <= k {
            let v0 = load8(w0, c, half), v1 = load8(w1, c, half), v2 = load8(w2, c, half)
            var xv = x0.loadUnaligned(fromByteOffset: 4 * c, as: __m256.self)
            a00 = _mm256_fmadd_ps(v0, xv, a00); a10 = _mm256_fmadd_ps(v1, xv, a10); a20 = _mm256_fmadd_ps(v2, xv, a20)
            xv = x1.loadUnaligned(fromByteOffset: 4 * c, as: __m256.self)
            a01 = _mm256_fmadd_ps(v0, xv, a01); a11 = _mm256_fmadd_ps(v1, xv, a11); a21 = _mm256_fmadd_ps(v2, xv, a21)
            xv = x2.loadUnaligned(fromByteOffset: 4 * c, as: __m256.self)
            a02 = _mm256_fmadd_ps(v0, xv, a02); a12 = _mm256_fmadd_ps(v1, xv, a12); a22 = _mm256_fmadd_ps(v2, xv, a22)
            xv = x3.loadUnaligned(fromByteOffset: 4 * c, as: __m256.self)
            a03 = _mm256_fmadd_ps(v0, xv, a03); a13 = _mm256_fmadd_ps(v1, xv, a13); a23 = _mm256_fmadd_ps(v2, xv, a23)
            c += 8
        }
        // Per row i: [Σ acc[i][0], …, Σ acc[i][3]] over the 8 lanes.
        var s0 = hsum4(a00, a01, a02, a03), s1 = hsum4(a10, a11, a12, a13), s2 = hsum4(a20, a21, a22, a23)
        // Scalar tail (k not a multiple of 8).
        while c < k {
            let xs = SIMD4<Float>(x0.load(fromByteOffset: 4 * c, as: Float.self), x1.load(fromByteOffset: 4 * c, as: Float.self),
                                  x2.load(fromByteOffset: 4 * c, as: Float.self), x3.load(fromByteOffset: 4 * c, as: Float.self))
            s0 += scalar(w0, c, half) * xs
            s1 += scalar(w1, c, half) * xs
            s2 += scalar(w2, c, half) * xs
            c += 1
        }
        for j in 0..<tokenCount {
            out[j * n + r] = s0[j]
            if rowCount > 1 { out[j * n + r + 1] = s1[j] }
            if rowCount > 2 { out[j * n + r + 2] = s2[j] }
        }
    }

    /// The four vectors' lane sums, [Σa, Σb, Σc, Σd] (a fixed pairwise order).
    @inline(__always)
    static func hsum4(_ a: __m256, _ b: __m256, _ c: __m256, _ d: __m256) -> SIMD4<Float> {
        let ab = _mm256_hadd_ps(a, b), cd = _mm256_hadd_ps(c, d)
        let abcd = _mm256_hadd_ps(ab, cd)   // [a0123 b0123 c0123 d0123 | a4567 b4567 c4567 d4567]
        let v = unsafeBitCast(abcd, to: SIMD8<Float>.self)
        return v.lowHalf + v.highHalf
    }

    @inline(__always)
    static func load8(_ row: UnsafeRawPointer, _ c: Int, _ half: Bool) -> __m256 {
        if half { return _mm256_cvtph_ps(row.loadUnaligned(fromByteOffset: 2 * c, as: __m128i.self)) }
        return row.loadUnaligned(fromByteOffset: 4 * c, as: __m256.self)
    }
    #endif

    @inline(__always)
    static func scalar(_ row: UnsafeRawPointer, _ c: Int, _ half: Bool) -> Float {
        half ? Half.f32(fromF16: row.loadUnaligned(fromByteOffset: 2 * c, as: UInt16.self)) : row.loadUnaligned(fromByteOffset: 4 * c, as: Float.self)
    }
}
