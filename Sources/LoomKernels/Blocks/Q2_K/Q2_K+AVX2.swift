// Q2_K on AVX2: a row-major SIMD dot against Q8 activations (no interleaved8 record; Q2_K stays
// rowMajor, RowMajorInt8Format). One 32-byte plane vector of a 128-value half holds, shifted by 2j
// and masked, the codes of one whole 32-value activation block (elements 128h + 32j + l):
//   Σq·a by vpmaddubsw (pairs ≤ 2·3·127), then vpmaddwd against the two sub-blocks' scales
//   (lanes 0–7: sub-block 2b, 8–15: 2b + 1, picked from the 16 scale bytes by one vpshufb);
//   Σa likewise against their mins;
//   per activation block j of a half: accS[j] += Σ sc·q·a · d_a, accM[j] += Σ m·a · d_a (four
//   independent FMA chains); per super-block: acc += d·ΣaccS − dmin·ΣaccM
// The float order differs from dotReference's; GEMV tests allow the f32 rounding of that.

#if LOOM_AVX2
import _Builtin_intrinsics.intel
import LoomTensor

extension Q2_K {
    /// out[r] for r in `rows` (rowMajor) by the AVX2 dot.
    static func gemvRows(_ w: PackedMatrix, _ a: Q8Row, _ out: UnsafeMutablePointer<Float>, rows: Range<Int>) {
        for r in rows { out[r] = dotAVX2(w.rowMajorRow(r), a, count: w.cols) }
    }

    /// The dot of one Q2_K row with quantized activations (see the header).
    @inline(__always)
    static func dotAVX2(_ blocks: UnsafeRawPointer, _ a: Q8Row, count: Int) -> Float {
        let m3 = _mm256_set1_epi8(3), ones = _mm256_set1_epi8(1), m4 = _mm_set1_epi8(0x0F)
        let pick0 = SubBlockScales.pick0
        var total = _mm256_setzero_ps()
        for sb in 0..<count / 256 {
            let p = blocks + sb * 84
            let d = Half.f32(fromF16: p.loadUnaligned(fromByteOffset: 80, as: UInt16.self))
            let dmin = Half.f32(fromF16: p.loadUnaligned(fromByteOffset: 82, as: UInt16.self))
            let packed = p.loadUnaligned(as: __m128i.self)
            let scaleBytes = _mm256_broadcastsi128_si256(_mm_and_si128(packed, m4))
            let minBytes = _mm256_broadcastsi128_si256(_mm_and_si128(_mm_srli_epi16(packed, 4), m4))
            var s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0, n0 = s0, n1 = s0, n2 = s0, n3 = s0
            @inline(__always) func block(_ qs: __m256i, _ j: Int, _ k: Int, _ accS: inout __m256, _ accM: inout __m256) {
                let b = 8 * sb + k
                let pick = _mm256_add_epi16(pick0, _mm256_set1_epi16(Int16(2 * k)))
                let q = _mm256_and_si256(_mm256_srli_epi16(qs, Int32(2 * j)), m3)
                let av = UnsafeRawPointer(a.q + 32 * b).loadUnaligned(as: __m256i.self)
                let s = _mm256_madd_epi16(_mm256_maddubs_epi16(q, av), _mm256_shuffle_epi8(scaleBytes, pick))
                let m = _mm256_madd_epi16(_mm256_maddubs_epi16(ones, av), _mm256_shuffle_epi8(minBytes, pick))
                let da = _mm256_set1_ps(a.d[b])
                accS = _mm256_fmadd_ps(_mm256_cvtepi32_ps(s), da, accS)
                accM = _mm256_fmadd_ps(_mm256_cvtepi32_ps(m), da, accM)
            }
            for h in 0..<2 {
                let qs = p.loadUnaligned(fromByteOffset: 16 + 32 * h, as: __m256i.self)
                block(qs, 0, 4 * h, &s0, &n0); block(qs, 1, 4 * h + 1, &s1, &n1)
                block(qs, 2, 4 * h + 2, &s2, &n2); block(qs, 3, 4 * h + 3, &s3, &n3)
            }
            let accS = _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3))
            let accM = _mm256_add_ps(_mm256_add_ps(n0, n1), _mm256_add_ps(n2, n3))
            total = _mm256_fmadd_ps(_mm256_set1_ps(d), accS, total)
            total = _mm256_fmadd_ps(_mm256_set1_ps(-dmin), accM, total)
        }
        return FloatRows.reduce8(total)
    }
}

/// The vpshufb indices that spread two sub-blocks' scale bytes over the i16 lanes vpmaddwd
/// multiplies: for activation block k, add 2k to every i16 of `pick0`; low 128-bit lane → byte 2k
/// (sub-block 2k), high lane → byte 2k + 1. The high byte of each i16 is 0x80 (→ 0), or, with
/// `pickSigned0`, the same byte again, so that an arithmetic shift right by 8 sign-extends it.
enum SubBlockScales {
    static let pick0 = unsafeBitCast(SIMD16<Int16>(-32768, -32768, -32768, -32768, -32768, -32768, -32768, -32768,
                                                   -32767, -32767, -32767, -32767, -32767, -32767, -32767, -32767), to: __m256i.self)
    static let pickSigned0 = unsafeBitCast(SIMD16<Int16>(0, 0, 0, 0, 0, 0, 0, 0,
                                                         0x0101, 0x0101, 0x0101, 0x0101, 0x0101, 0x0101, 0x0101, 0x0101), to: __m256i.self)
}
#endif
