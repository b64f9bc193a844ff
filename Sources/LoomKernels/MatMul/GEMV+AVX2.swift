// AVX2 GEMV kernels over interleaved8 records (Repack.swift): 8 output rows per pass, int8 dots by
// vpmaddubsw (unsigned weights × signed activations → i16 pairs) and vpmaddwd (→ i32 per row).
//
// Q4_0: nibbles stay unsigned (0…15) and the zero point moves into the activation sum:
//   Σ d_w·d_a·(q − 8)·a = d_w·(d_a·Σ q·a − 8·s_a),  s_a = d_a·Σa
// The 8 chunks' i16 products are summed before widening: |Σ| ≤ 8·2·15·127 = 30 480 < 32 767.
// Q4_1: Σ (d_w·q + m_w)·d_a·a = d_w·d_a·Σ q·a + m_w·s_a.
// Q8_0: weights are signed, so ggml's sign trick: |w| × (a·sign w); each chunk is widened on its own
//   (|w|·|a|·2 ≤ 128·127·2 = 32 512).
// One float epilogue per record: t = cvt(i32)·d_a (− 8·s_a), acc += d_w ⊙ t (8 scales as a vector).

#if LOOM_AVX2
import _Builtin_intrinsics.intel

enum GEMVAVX2 {
    static func run(_ w: PackedMatrix, _ a: Q8Row, _ out: UnsafeMutablePointer<Float>, groups: Range<Int>) {
        let blocks = w.cols / 32
        let base = UnsafeRawPointer(w.data)
        switch w.type {
        case .q4_0: q4_0(base, a, out, blocks: blocks, groups: groups)
        case .q4_1: q4_1(base, a, out, blocks: blocks, groups: groups)
        case .q8_0: q8_0(base, a, out, blocks: blocks, groups: groups)
        default: preconditionFailure("no interleaved8 kernel for \(w.type)")
        }
    }

    /// Σ over the 4 chunks of a Q4 record of maddubs(nibbles, broadcast activation words), as i32 per row.
    @inline(__always)
    static func q4Dot(_ p: UnsafeRawPointer, _ aw: UnsafePointer<Int32>) -> __m256i {
        let m4 = _mm256_set1_epi8(0x0F)
        let x0 = p.loadUnaligned(as: __m256i.self), x1 = p.loadUnaligned(fromByteOffset: 32, as: __m256i.self)
        let x2 = p.loadUnaligned(fromByteOffset: 64, as: __m256i.self), x3 = p.loadUnaligned(fromByteOffset: 96, as: __m256i.self)
        var s = _mm256_maddubs_epi16(_mm256_and_si256(x0, m4), _mm256_set1_epi32(aw[0]))
        s = _mm256_add_epi16(s, _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(x0, 4), m4), _mm256_set1_epi32(aw[4])))
        s = _mm256_add_epi16(s, _mm256_maddubs_epi16(_mm256_and_si256(x1, m4), _mm256_set1_epi32(aw[1])))
        s = _mm256_add_epi16(s, _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(x1, 4), m4), _mm256_set1_epi32(aw[5])))
        s = _mm256_add_epi16(s, _mm256_maddubs_epi16(_mm256_and_si256(x2, m4), _mm256_set1_epi32(aw[2])))
        s = _mm256_add_epi16(s, _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(x2, 4), m4), _mm256_set1_epi32(aw[6])))
        s = _mm256_add_epi16(s, _mm256_maddubs_epi16(_mm256_and_si256(x3, m4), _mm256_set1_epi32(aw[3])))
        s = _mm256_add_epi16(s, _mm256_maddubs_epi16(_mm256_and_si256(_mm256_srli_epi16(x3, 4), m4), _mm256_set1_epi32(aw[7])))
        return _mm256_madd_epi16(s, _mm256_set1_epi16(1))
    }

    /// Σ over the 8 chunks of a Q8_0 record, sign trick, as i32 per row.
    @inline(__always)
    static func q8Dot(_ p: UnsafeRawPointer, _ aw: UnsafePointer<Int32>) -> __m256i {
        let ones = _mm256_set1_epi16(1)
        var acc = _mm256_setzero_si256()
        for c in 0..<8 {
            let x = p.loadUnaligned(fromByteOffset: 32 * c, as: __m256i.self)
            let prod = _mm256_maddubs_epi16(_mm256_sign_epi8(x, x), _mm256_sign_epi8(_mm256_set1_epi32(aw[c]), x))
            acc = _mm256_add_epi32(acc, _mm256_madd_epi16(prod, ones))
        }
        return acc
    }

    @inline(never)
    static func q4_0(_ w: UnsafeRawPointer, _ a: Q8Row, _ out: UnsafeMutablePointer<Float>, blocks: Int, groups: Range<Int>) {
        let aw = UnsafeRawPointer(a.q).assumingMemoryBound(to: Int32.self)
        for g in groups {
            var acc = _mm256_setzero_ps()
            var p = w + g * blocks * 144
            for b in 0..<blocks {
                let i = q4Dot(p + 16, aw + 8 * b)
                let t = _mm256_fmadd_ps(_mm256_cvtepi32_ps(i), _mm256_set1_ps(a.d[b]), _mm256_set1_ps(-8 * a.s[b]))
                acc = _mm256_fmadd_ps(_mm256_cvtph_ps(p.loadUnaligned(as: __m128i.self)), t, acc)
                p += 144
            }
            UnsafeMutableRawPointer(out + 8 * g).storeBytes(of: acc, as: __m256.self)
        }
    }

    @inline(never)
    static func q4_1(_ w: UnsafeRawPointer, _ a: Q8Row, _ out: UnsafeMutablePointer<Float>, blocks: Int, groups: Range<Int>) {
        let aw = UnsafeRawPointer(a.q).assumingMemoryBound(to: Int32.self)
        for g in groups {
            var acc = _mm256_setzero_ps()
            var p = w + g * blocks * 160
            for b in 0..<blocks {
                let i = q4Dot(p + 32, aw + 8 * b)
                let t = _mm256_mul_ps(_mm256_cvtepi32_ps(i), _mm256_set1_ps(a.d[b]))
                acc = _mm256_fmadd_ps(_mm256_cvtph_ps(p.loadUnaligned(as: __m128i.self)), t, acc)
                acc = _mm256_fmadd_ps(_mm256_cvtph_ps(p.loadUnaligned(fromByteOffset: 16, as: __m128i.self)),
                                      _mm256_set1_ps(a.s[b]), acc)
                p += 160
            }
            UnsafeMutableRawPointer(out + 8 * g).storeBytes(of: acc, as: __m256.self)
        }
    }

    @inline(never)
    static func q8_0(_ w: UnsafeRawPointer, _ a: Q8Row, _ out: UnsafeMutablePointer<Float>, blocks: Int, groups: Range<Int>) {
        let aw = UnsafeRawPointer(a.q).assumingMemoryBound(to: Int32.self)
        for g in groups {
            var acc = _mm256_setzero_ps()
            var p = w + g * blocks * 272
            for b in 0..<blocks {
                let i = q8Dot(p + 16, aw + 8 * b)
                let t = _mm256_mul_ps(_mm256_cvtepi32_ps(i), _mm256_set1_ps(a.d[b]))
                acc = _mm256_fmadd_ps(_mm256_cvtph_ps(p.loadUnaligned(as: __m128i.self)), t, acc)
                p += 272
            }
            UnsafeMutableRawPointer(out + 8 * g).storeBytes(of: acc, as: __m256.self)
        }
    }
}
#endif
