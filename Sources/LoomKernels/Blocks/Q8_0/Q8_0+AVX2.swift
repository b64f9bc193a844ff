// Q8_0 on AVX2: the interleaved8 record kernel (record: [d r0…r7][chunk 0 … chunk 7]). Weights are
// signed, so ggml's sign trick: |w| × (a · sign w), |w| computed once per record; each chunk is
// widened on its own (|w|·|a|·2 ≤ 128·127·2 = 32 512).

#if LOOM_AVX2
import _Builtin_intrinsics.intel

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

extension Q8_0: Record8Kernel {
    @inline(__always)
    static func unpack(_ record: UnsafeRawPointer) -> (d: __m256, q: Int8Magnitudes) {
        (_mm256_cvtph_ps(record.loadUnaligned(as: __m128i.self)), Int8Magnitudes(record + 16))
    }

    @inline(__always)
    static func dot(_ u: (d: __m256, q: Int8Magnitudes), _ record: UnsafeRawPointer, _ aw: UnsafePointer<Int32>) -> __m256i {
        u.q.dot(record + 16, aw)
    }

    @inline(__always)
    static func accumulate(_ acc: __m256, _ u: (d: __m256, q: Int8Magnitudes), _ i: __m256i, _ a: Q8Row, block b: Int) -> __m256 {
        _mm256_fmadd_ps(u.d, _mm256_mul_ps(_mm256_cvtepi32_ps(i), _mm256_set1_ps(a.d[b])), acc)
    }
}
#endif
