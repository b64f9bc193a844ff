// Float GEMM for small batches (4…blasMinTokens tokens, F32 and F16 weights, AVX2): tiles of
// 2 weight rows × 4 tokens, so each weight vector is loaded (and widened from fp16) once for four
// tokens instead of once per token, with 8 independent FMA chains:
//
//   for r in rows step 2, for t in tokens step 4:
//     acc[i][j] (8 lanes) += W[r+i][c..c+8] · x[t+j][c..c+8]      i < 2, j < 4, c step 8
//     out[t+j][r+i] = Σ lanes acc[i][j] + scalar tail
//
// Used for an encoder's sentence (BERT: ~20–60 tokens) and short prompts, where per-token GEMV
// re-streams the weights once per token. Each output is computed by one call, so results do not
// depend on the thread count. Tested against the reference with the other paths (MatMulTests).

import LoomTensor
#if LOOM_AVX2
import _Builtin_intrinsics.intel
#endif

enum FloatGEMM {
    /// Whether `run` handles `type`.
    static func supports(_ type: GGMLType) -> Bool {
        #if LOOM_AVX2
        return type == .f32 || type == .f16
        #else
        return false
        #endif
    }

    /// out[t, r] for t in 0..<tokens (a multiple of 4), r in `rows`.
    static func run(_ w: PackedMatrix, _ x: UnsafePointer<Float>, tokens: Int, _ out: UnsafeMutablePointer<Float>, rows: Range<Int>) {
        precondition(tokens % 4 == 0 && supports(w.type))
        var t = 0
        while t < tokens {
            var r = rows.lowerBound
            while r + 2 <= rows.upperBound {
                tile(w, r, 2, x + t * w.cols, out + t * w.rows)
                r += 2
            }
            if r < rows.upperBound { tile(w, r, 1, x + t * w.cols, out + t * w.rows) }
            t += 4
        }
    }

    /// Rows r..<r+count (1 or 2) × 4 tokens.
    @inline(__always)
    static func tile(_ w: PackedMatrix, _ r: Int, _ count: Int, _ x: UnsafePointer<Float>, _ out: UnsafeMutablePointer<Float>) {
        let k = w.cols, n = w.rows
        let xr = UnsafeRawPointer(x)
        let w0 = w.tail + r * w.rowBytes
        let w1 = count == 2 ? w0 + w.rowBytes : w0
        let half = w.type == .f16
        var a00 = SIMD8<Float>(), a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00, a12 = a00, a13 = a00
        var c = 0
        while c + 8 <= k {
            let v0 = load8(w0, c, half), v1 = load8(w1, c, half)
            let x0 = xr.loadUnaligned(fromByteOffset: 4 * c, as: SIMD8<Float>.self)
            let x1 = xr.loadUnaligned(fromByteOffset: 4 * (k + c), as: SIMD8<Float>.self)
            let x2 = xr.loadUnaligned(fromByteOffset: 4 * (2 * k + c), as: SIMD8<Float>.self)
            let x3 = xr.loadUnaligned(fromByteOffset: 4 * (3 * k + c), as: SIMD8<Float>.self)
            a00.addProduct(v0, x0); a01.addProduct(v0, x1); a02.addProduct(v0, x2); a03.addProduct(v0, x3)
            a10.addProduct(v1, x0); a11.addProduct(v1, x1); a12.addProduct(v1, x2); a13.addProduct(v1, x3)
            c += 8
        }
        // Scalar tail (k not a multiple of 8), folded into lane 0 of the accumulators.
        while c < k {
            let v0 = scalar(w0, c, half), v1 = scalar(w1, c, half)
            let x0 = x[c], x1 = x[k + c], x2 = x[2 * k + c], x3 = x[3 * k + c]
            a00[0] += v0 * x0; a01[0] += v0 * x1; a02[0] += v0 * x2; a03[0] += v0 * x3
            a10[0] += v1 * x0; a11[0] += v1 * x1; a12[0] += v1 * x2; a13[0] += v1 * x3
            c += 1
        }
        out[r] = a00.sum(); out[n + r] = a01.sum(); out[2 * n + r] = a02.sum(); out[3 * n + r] = a03.sum()
        if count == 2 {
            out[r + 1] = a10.sum(); out[n + r + 1] = a11.sum(); out[2 * n + r + 1] = a12.sum(); out[3 * n + r + 1] = a13.sum()
        }
    }

    @inline(__always)
    static func load8(_ row: UnsafeRawPointer, _ c: Int, _ half: Bool) -> SIMD8<Float> {
        #if LOOM_AVX2
        if half { return unsafeBitCast(_mm256_cvtph_ps(row.loadUnaligned(fromByteOffset: 2 * c, as: __m128i.self)), to: SIMD8<Float>.self) }
        #endif
        return row.loadUnaligned(fromByteOffset: 4 * c, as: SIMD8<Float>.self)
    }

    @inline(__always)
    static func scalar(_ row: UnsafeRawPointer, _ c: Int, _ half: Bool) -> Float {
        half ? Half.f32(fromF16: row.loadUnaligned(fromByteOffset: 2 * c, as: UInt16.self)) : row.loadUnaligned(fromByteOffset: 4 * c, as: Float.self)
    }
}
