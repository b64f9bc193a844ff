// AVX2 GEMM over interleaved8 records: the GEMV kernels' arithmetic (GEMV+AVX2.swift) with 4
// tokens per pass, so each 8-row record is streamed from memory once and reused from L1 for every
// token. Loop order: row group (outer) → token tiles → blocks, so a group's records (k/32 × record
// bytes: 2.6 KB for Q4_0 at k = 576) stay in L1 across the whole batch.
//
//   out: [tokens, n] (row stride n); the caller runs the < 4 remaining tokens through GEMV.

#if LOOM_AVX2
import _Builtin_intrinsics.intel

enum GEMMAVX2 {
    /// out[t, 8g…8g+7] for t in tokens (a multiple of 4 long) and g in groups.
    static func run(_ w: PackedMatrix, _ act: Q8Activations, _ out: UnsafeMutablePointer<Float>,
                    tokens: Range<Int>, groups: Range<Int>) {
        precondition(tokens.count % 4 == 0)
        let blocks = w.cols / 32, n = w.rows
        let base = UnsafeRawPointer(w.data)
        let record = w.recordBytes
        let type = w.type
        for g in groups {
            var t = tokens.lowerBound
            while t < tokens.upperBound {
                let a0 = act.row(t), a1 = act.row(t + 1), a2 = act.row(t + 2), a3 = act.row(t + 3)
                let w0 = UnsafeRawPointer(a0.q).assumingMemoryBound(to: Int32.self)
                let w1 = UnsafeRawPointer(a1.q).assumingMemoryBound(to: Int32.self)
                let w2 = UnsafeRawPointer(a2.q).assumingMemoryBound(to: Int32.self)
                let w3 = UnsafeRawPointer(a3.q).assumingMemoryBound(to: Int32.self)
                var c0 = _mm256_setzero_ps(), c1 = c0, c2 = c0, c3 = c0
                var p = base + g * blocks * record
                for b in 0..<blocks {
                    let dw = _mm256_cvtph_ps(p.loadUnaligned(as: __m128i.self))
                    switch type {
                    case .q4_0:
                        c0 = q4_0Step(p, w0 + 8 * b, a0.d[b], a0.s[b], dw, c0)
                        c1 = q4_0Step(p, w1 + 8 * b, a1.d[b], a1.s[b], dw, c1)
                        c2 = q4_0Step(p, w2 + 8 * b, a2.d[b], a2.s[b], dw, c2)
                        c3 = q4_0Step(p, w3 + 8 * b, a3.d[b], a3.s[b], dw, c3)
                    case .q4_1:
                        let mw = _mm256_cvtph_ps(p.loadUnaligned(fromByteOffset: 16, as: __m128i.self))
                        c0 = q4_1Step(p, w0 + 8 * b, a0.d[b], a0.s[b], dw, mw, c0)
                        c1 = q4_1Step(p, w1 + 8 * b, a1.d[b], a1.s[b], dw, mw, c1)
                        c2 = q4_1Step(p, w2 + 8 * b, a2.d[b], a2.s[b], dw, mw, c2)
                        c3 = q4_1Step(p, w3 + 8 * b, a3.d[b], a3.s[b], dw, mw, c3)
                    default:
                        c0 = q8_0Step(p, w0 + 8 * b, a0.d[b], dw, c0)
                        c1 = q8_0Step(p, w1 + 8 * b, a1.d[b], dw, c1)
                        c2 = q8_0Step(p, w2 + 8 * b, a2.d[b], dw, c2)
                        c3 = q8_0Step(p, w3 + 8 * b, a3.d[b], dw, c3)
                    }
                    p += record
                }
                let o = UnsafeMutableRawPointer(out + t * n + 8 * g)
                o.storeBytes(of: c0, as: __m256.self)
                (o + 4 * n).storeBytes(of: c1, as: __m256.self)
                (o + 8 * n).storeBytes(of: c2, as: __m256.self)
                (o + 12 * n).storeBytes(of: c3, as: __m256.self)
                t += 4
            }
        }
    }

    @inline(__always)
    static func q4_0Step(_ p: UnsafeRawPointer, _ aw: UnsafePointer<Int32>, _ d: Float, _ s: Float,
                         _ dw: __m256, _ acc: __m256) -> __m256 {
        let i = GEMVAVX2.q4Dot(p + 16, aw)
        let t = _mm256_fmadd_ps(_mm256_cvtepi32_ps(i), _mm256_set1_ps(d), _mm256_set1_ps(-8 * s))
        return _mm256_fmadd_ps(dw, t, acc)
    }

    @inline(__always)
    static func q4_1Step(_ p: UnsafeRawPointer, _ aw: UnsafePointer<Int32>, _ d: Float, _ s: Float,
                         _ dw: __m256, _ mw: __m256, _ acc: __m256) -> __m256 {
        let i = GEMVAVX2.q4Dot(p + 32, aw)
        let acc1 = _mm256_fmadd_ps(dw, _mm256_mul_ps(_mm256_cvtepi32_ps(i), _mm256_set1_ps(d)), acc)
        return _mm256_fmadd_ps(mw, _mm256_set1_ps(s), acc1)
    }

    @inline(__always)
    static func q8_0Step(_ p: UnsafeRawPointer, _ aw: UnsafePointer<Int32>, _ d: Float,
                         _ dw: __m256, _ acc: __m256) -> __m256 {
        let i = GEMVAVX2.q8Dot(p + 16, aw)
        return _mm256_fmadd_ps(dw, _mm256_mul_ps(_mm256_cvtepi32_ps(i), _mm256_set1_ps(d)), acc)
    }
}
#endif
