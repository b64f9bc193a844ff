// Q4_0 on AVX2: the interleaved8 record kernel (record: [d r0…r7][chunk 0 … chunk 3], Repack.swift).
// Nibbles stay unsigned (0…15) and the zero point moves into the activation sum:
//   Σ d_w·d_a·(q − 8)·a = d_w·(d_a·Σ q·a − 8·s_a),  s_a = d_a·Σa

#if LOOM_AVX2
import _Builtin_intrinsics.intel

extension Q4_0: Record8Kernel {
    @inline(__always)
    static func unpack(_ record: UnsafeRawPointer) -> (d: __m256, q: Nibbles) {
        (_mm256_cvtph_ps(record.loadUnaligned(as: __m128i.self)), Nibbles(record + 16))
    }

    @inline(__always)
    static func dot(_ u: (d: __m256, q: Nibbles), _ record: UnsafeRawPointer, _ aw: UnsafePointer<Int32>) -> __m256i { u.q.dot(aw) }

    @inline(__always)
    static func accumulate(_ acc: __m256, _ u: (d: __m256, q: Nibbles), _ i: __m256i, _ a: Q8Row, block b: Int) -> __m256 {
        let t = _mm256_fmadd_ps(_mm256_cvtepi32_ps(i), _mm256_set1_ps(a.d[b]), _mm256_set1_ps(-8 * a.s[b]))
        return _mm256_fmadd_ps(u.d, t, acc)
    }
}
#endif
