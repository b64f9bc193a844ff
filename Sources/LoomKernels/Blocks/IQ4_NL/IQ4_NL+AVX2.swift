// IQ4_NL on AVX2: the interleaved8 record kernel (Q4_0's record: [d r0…r7][chunk 0 … chunk 3]).
// The nibbles become the table's signed values with one `vpshufb` per chunk (the 16 values in both
// 128-bit lanes); signed × signed int8 products by ggml's sign trick, |w| × (a · sign w), each chunk
// widened on its own (|w|·|a|·2 ≤ 127·127·2 = 32 258 < 32 767):
//   Σ d_w·d_a·kvalues[q]·a = d_w·(d_a·Σ w·a)

#if LOOM_AVX2
import _Builtin_intrinsics.intel

/// A record's 8 chunks as signed table values and their magnitudes, computed once per record.
struct NonLinear4 {
    let w0, w1, w2, w3, w4, w5, w6, w7: __m256i
    let m0, m1, m2, m3, m4, m5, m6, m7: __m256i

    /// kvalues_iq4nl in both 128-bit lanes, the `vpshufb` table.
    static let table = unsafeBitCast(SIMD32<Int8>(-127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113,
                                                  -127, -104, -83, -65, -49, -35, -22, -10, 1, 13, 25, 38, 53, 69, 89, 113), to: __m256i.self)

    /// From the nibbles at `p` (4 chunks): w0…w3 the low nibbles' values (elements 4c…4c+3 of each
    /// row), w4…w7 the high nibbles' (elements 16 + 4c…).
    @inline(__always)
    init(_ p: UnsafeRawPointer) {
        let n = Nibbles(p), t = Self.table
        w0 = _mm256_shuffle_epi8(t, n.l0); w1 = _mm256_shuffle_epi8(t, n.l1)
        w2 = _mm256_shuffle_epi8(t, n.l2); w3 = _mm256_shuffle_epi8(t, n.l3)
        w4 = _mm256_shuffle_epi8(t, n.h0); w5 = _mm256_shuffle_epi8(t, n.h1)
        w6 = _mm256_shuffle_epi8(t, n.h2); w7 = _mm256_shuffle_epi8(t, n.h3)
        m0 = _mm256_abs_epi8(w0); m1 = _mm256_abs_epi8(w1); m2 = _mm256_abs_epi8(w2); m3 = _mm256_abs_epi8(w3)
        m4 = _mm256_abs_epi8(w4); m5 = _mm256_abs_epi8(w5); m6 = _mm256_abs_epi8(w6); m7 = _mm256_abs_epi8(w7)
    }

    /// Σ w·a per row (i32 × 8) against one activation block's 8 words.
    @inline(__always)
    func dot(_ aw: UnsafePointer<Int32>) -> __m256i {
        let ones = _mm256_set1_epi16(1)
        @inline(__always) func chunk(_ w: __m256i, _ m: __m256i, _ c: Int) -> __m256i {
            _mm256_madd_epi16(_mm256_maddubs_epi16(m, _mm256_sign_epi8(_mm256_set1_epi32(aw[c]), w)), ones)
        }
        let s01 = _mm256_add_epi32(chunk(w0, m0, 0), chunk(w1, m1, 1)), s23 = _mm256_add_epi32(chunk(w2, m2, 2), chunk(w3, m3, 3))
        let s45 = _mm256_add_epi32(chunk(w4, m4, 4), chunk(w5, m5, 5)), s67 = _mm256_add_epi32(chunk(w6, m6, 6), chunk(w7, m7, 7))
        return _mm256_add_epi32(_mm256_add_epi32(s01, s23), _mm256_add_epi32(s45, s67))
    }
}

extension IQ4_NL: Record8Kernel {
    @inline(__always)
    static func unpack(_ record: UnsafeRawPointer) -> (d: __m256, q: NonLinear4) {
        (_mm256_cvtph_ps(record.loadUnaligned(as: __m128i.self)), NonLinear4(record + 16))
    }

    @inline(__always)
    static func dot(_ u: (d: __m256, q: NonLinear4), _ record: UnsafeRawPointer, _ aw: UnsafePointer<Int32>) -> __m256i { u.q.dot(aw) }

    @inline(__always)
    static func accumulate(_ acc: __m256, _ u: (d: __m256, q: NonLinear4), _ i: __m256i, _ a: Q8Row, block b: Int) -> __m256 {
        _mm256_fmadd_ps(u.d, _mm256_mul_ps(_mm256_cvtepi32_ps(i), _mm256_set1_ps(a.d[b])), acc)
    }
}
#endif
