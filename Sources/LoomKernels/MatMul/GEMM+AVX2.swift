// AVX2 GEMM over interleaved8 records: the GEMV kernels' arithmetic (GEMV+AVX2.swift) with 4
// tokens per pass, so each 8-row record is streamed from memory once and reused from L1 for every
// token. Loop order: row group (outer) → token tiles → blocks, so a group's records (k/32 × record
// bytes: 2.6 KB for Q4_0 at k = 576) stay in L1 across the whole batch.
//
//   out: [tokens, n] (row stride n); the caller runs the < 4 remaining tokens through GEMV.

#if LOOM_AVX2
import _Builtin_intrinsics.intel

/// The 8 unpacked nibble vectors of a Q4 record (4 chunks × low/high), loaded once per record.
struct Nibbles {
    let l0, l1, l2, l3, h0, h1, h2, h3: __m256i

    @inline(__always)
    init(_ p: UnsafeRawPointer) {
        let m4 = _mm256_set1_epi8(0x0F)
        let x0 = p.loadUnaligned(as: __m256i.self), x1 = p.loadUnaligned(fromByteOffset: 32, as: __m256i.self)
        let x2 = p.loadUnaligned(fromByteOffset: 64, as: __m256i.self), x3 = p.loadUnaligned(fromByteOffset: 96, as: __m256i.self)
        l0 = _mm256_and_si256(x0, m4); h0 = _mm256_and_si256(_mm256_srli_epi16(x0, 4), m4)
        l1 = _mm256_and_si256(x1, m4); h1 = _mm256_and_si256(_mm256_srli_epi16(x1, 4), m4)
        l2 = _mm256_and_si256(x2, m4); h2 = _mm256_and_si256(_mm256_srli_epi16(x2, 4), m4)
        l3 = _mm256_and_si256(x3, m4); h3 = _mm256_and_si256(_mm256_srli_epi16(x3, 4), m4)
    }

    /// Σ q·a per row (i32 × 8) against one activation block's 8 words (see GEMVAVX2.q4Dot).
    @inline(__always)
    func dot(_ aw: UnsafePointer<Int32>) -> __m256i {
        var s = _mm256_maddubs_epi16(l0, _mm256_set1_epi32(aw[0]))
        s = _mm256_add_epi16(s, _mm256_maddubs_epi16(h0, _mm256_set1_epi32(aw[4])))
        s = _mm256_add_epi16(s, _mm256_maddubs_epi16(l1, _mm256_set1_epi32(aw[1])))
        s = _mm256_add_epi16(s, _mm256_maddubs_epi16(h1, _mm256_set1_epi32(aw[5])))
        s = _mm256_add_epi16(s, _mm256_maddubs_epi16(l2, _mm256_set1_epi32(aw[2])))
        s = _mm256_add_epi16(s, _mm256_maddubs_epi16(h2, _mm256_set1_epi32(aw[6])))
        s = _mm256_add_epi16(s, _mm256_maddubs_epi16(l3, _mm256_set1_epi32(aw[3])))
        s = _mm256_add_epi16(s, _mm256_maddubs_epi16(h3, _mm256_set1_epi32(aw[7])))
        return _mm256_madd_epi16(s, _mm256_set1_epi16(1))
    }
}

/// |w| of the 8 chunks of a Q8_0 record, computed once per record (ggml's sign trick, hoisted).
struct Int8Magnitudes {
    let m0, m1, m2, m3, m4, m5, m6, m7: __m256i

    @inline(__always)
    init(_ p: UnsafeRawPointer) {
        func abs(_ o: Int) -> __m256i { let x = p.loadUnaligned(fromByteOffset: o, as: __m256i.self); return _mm256_sign_epi8(x, x) }
        m0 = abs(0); m1 = abs(32); m2 = abs(64); m3 = abs(96); m4 = abs(128); m5 = abs(160); m6 = abs(192); m7 = abs(224)
    }

    /// Σ w·a per row: |w| × (a with w's sign), each chunk widened on its own.
    @inline(__always)
    func dot(_ p: UnsafeRawPointer, _ aw: UnsafePointer<Int32>) -> __m256i {
        let ones = _mm256_set1_epi16(1)
        @inline(__always) func chunk(_ m: __m256i, _ c: Int) -> __m256i {
            let signed = _mm256_sign_epi8(_mm256_set1_epi32(aw[c]), p.loadUnaligned(fromByteOffset: 32 * c, as: __m256i.self))
            return _mm256_madd_epi16(_mm256_maddubs_epi16(m, signed), ones)
        }
        let s01 = _mm256_add_epi32(chunk(m0, 0), chunk(m1, 1)), s23 = _mm256_add_epi32(chunk(m2, 2), chunk(m3, 3))
        let s45 = _mm256_add_epi32(chunk(m4, 4), chunk(m5, 5)), s67 = _mm256_add_epi32(chunk(m6, 6), chunk(m7, 7))
        return _mm256_add_epi32(_mm256_add_epi32(s01, s23), _mm256_add_epi32(s45, s67))
    }
}

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
                    case .q4_0, .q4_1:
                        // Unpack the record's nibbles once and reuse them for the 4 tokens.
                        let q = Nibbles(p + (type == .q4_0 ? 16 : 32))
                        if type == .q4_0 {
                            let i0 = q.dot(w0 + 8 * b), i1 = q.dot(w1 + 8 * b)
                            let i2 = q.dot(w2 + 8 * b), i3 = q.dot(w3 + 8 * b)
                            c0 = _mm256_fmadd_ps(dw, _mm256_fmadd_ps(_mm256_cvtepi32_ps(i0), _mm256_set1_ps(a0.d[b]), _mm256_set1_ps(-8 * a0.s[b])), c0)
                            c1 = _mm256_fmadd_ps(dw, _mm256_fmadd_ps(_mm256_cvtepi32_ps(i1), _mm256_set1_ps(a1.d[b]), _mm256_set1_ps(-8 * a1.s[b])), c1)
                            c2 = _mm256_fmadd_ps(dw, _mm256_fmadd_ps(_mm256_cvtepi32_ps(i2), _mm256_set1_ps(a2.d[b]), _mm256_set1_ps(-8 * a2.s[b])), c2)
                            c3 = _mm256_fmadd_ps(dw, _mm256_fmadd_ps(_mm256_cvtepi32_ps(i3), _mm256_set1_ps(a3.d[b]), _mm256_set1_ps(-8 * a3.s[b])), c3)
                        } else {
                            let mw = _mm256_cvtph_ps(p.loadUnaligned(fromByteOffset: 16, as: __m128i.self))
                            c0 = _mm256_fmadd_ps(mw, _mm256_set1_ps(a0.s[b]), _mm256_fmadd_ps(dw, _mm256_mul_ps(_mm256_cvtepi32_ps(q.dot(w0 + 8 * b)), _mm256_set1_ps(a0.d[b])), c0))
                            c1 = _mm256_fmadd_ps(mw, _mm256_set1_ps(a1.s[b]), _mm256_fmadd_ps(dw, _mm256_mul_ps(_mm256_cvtepi32_ps(q.dot(w1 + 8 * b)), _mm256_set1_ps(a1.d[b])), c1))
                            c2 = _mm256_fmadd_ps(mw, _mm256_set1_ps(a2.s[b]), _mm256_fmadd_ps(dw, _mm256_mul_ps(_mm256_cvtepi32_ps(q.dot(w2 + 8 * b)), _mm256_set1_ps(a2.d[b])), c2))
                            c3 = _mm256_fmadd_ps(mw, _mm256_set1_ps(a3.s[b]), _mm256_fmadd_ps(dw, _mm256_mul_ps(_mm256_cvtepi32_ps(q.dot(w3 + 8 * b)), _mm256_set1_ps(a3.d[b])), c3))
                        }
                    default:
                        // |w| once per record; the sign moves onto each token's activations.
                        let q = Int8Magnitudes(p + 16)
                        c0 = _mm256_fmadd_ps(dw, _mm256_mul_ps(_mm256_cvtepi32_ps(q.dot(p + 16, w0 + 8 * b)), _mm256_set1_ps(a0.d[b])), c0)
                        c1 = _mm256_fmadd_ps(dw, _mm256_mul_ps(_mm256_cvtepi32_ps(q.dot(p + 16, w1 + 8 * b)), _mm256_set1_ps(a1.d[b])), c1)
                        c2 = _mm256_fmadd_ps(dw, _mm256_mul_ps(_mm256_cvtepi32_ps(q.dot(p + 16, w2 + 8 * b)), _mm256_set1_ps(a2.d[b])), c2)
                        c3 = _mm256_fmadd_ps(dw, _mm256_mul_ps(_mm256_cvtepi32_ps(q.dot(p + 16, w3 + 8 * b)), _mm256_set1_ps(a3.d[b])), c3)
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

}
#endif
