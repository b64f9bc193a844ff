// AVX2 GEMM over interleaved8 records: the GEMV's arithmetic (GEMV+AVX2.swift) with 4 tokens per
// pass, so each 8-row record is streamed from memory and unpacked once (Record8Kernel.unpack) and
// reused for every token. Loop order: row group (outer) → token tiles → blocks, so a group's
// records (k/32 × record bytes: 2.6 KB for Q4_0 at k = 576) stay in L1 across the whole batch.
//
//   out: [tokens, n] (row stride n); the caller runs the < 4 remaining tokens through GEMV.

#if LOOM_AVX2
import _Builtin_intrinsics.intel

enum GEMMAVX2 {
    /// Stores a 4-token tile's results: out[t + j, 8g…8g+7] = c_j (out row stride `n`).
    @inline(__always)
    static func store4(_ c0: __m256, _ c1: __m256, _ c2: __m256, _ c3: __m256, _ out: UnsafeMutablePointer<Float>,
                       token t: Int, rows n: Int, group g: Int) {
        let o = UnsafeMutableRawPointer(out + t * n + 8 * g)
        o.storeBytes(of: c0, as: __m256.self)
        (o + 4 * n).storeBytes(of: c1, as: __m256.self)
        (o + 8 * n).storeBytes(of: c2, as: __m256.self)
        (o + 12 * n).storeBytes(of: c3, as: __m256.self)
    }

    /// out[t, 8g…8g+7] for t in tokens (a multiple of 4 long) and g in groups, specialized for `K`.
    @inline(__always)
    static func run<K: Record8Kernel>(_: K.Type, _ w: PackedMatrix, _ act: Q8Activations, _ out: UnsafeMutablePointer<Float>,
                                      tokens: Range<Int>, groups: Range<Int>) {
        precondition(tokens.count % 4 == 0)
        let blocks = w.cols / 32, n = w.rows
        let base = UnsafeRawPointer(w.data)
        let record = w.recordBytes
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
                    let q = K.unpack(p)
                    let i0 = K.dot(q, p, w0 + 8 * b), i1 = K.dot(q, p, w1 + 8 * b)
                    let i2 = K.dot(q, p, w2 + 8 * b), i3 = K.dot(q, p, w3 + 8 * b)
                    c0 = K.accumulate(c0, q, i0, a0, block: b)
                    c1 = K.accumulate(c1, q, i1, a1, block: b)
                    c2 = K.accumulate(c2, q, i2, a2, block: b)
                    c3 = K.accumulate(c3, q, i3, a3, block: b)
                    p += record
                }
                GEMMAVX2.store4(c0, c1, c2, c3, out, token: t, rows: n, group: g)
                t += 4
            }
        }
    }
}
#endif
