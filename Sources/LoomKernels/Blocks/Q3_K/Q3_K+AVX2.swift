// Q3_K on AVX2: a row-major SIMD dot against Q8 activations (no interleaved8 record; Q3_K stays
// rowMajor, RowMajorInt8Format). For activation block k of a super-block (elements 32k…32k+31):
// the low bits are plane vector h = k/4 shifted by 2(k%4), the high bits are hmask shifted by k;
// q' = low | high << 2 ∈ 0…7 is q + 4, so
//   Σ sc·q·a = Σ sc·q'·a − 4·Σ sc·a
// with vpmaddubsw (pairs ≤ 2·7·127) and vpmaddwd against the two sub-blocks' signed scales
// (lanes 0–7: sub-block 2k, 8–15: 2k + 1; the 16 scales unpacked once per super-block with ggml's
// 32-bit mask trick, spread by vpshufb + arithmetic shift, SubBlockScales), exact in i32; per
// block acc[k%4] += that · d_a (four FMA chains), per super-block · d. The float order differs
// from dotReference's; GEMV tests allow its rounding.

#if LOOM_AVX2
import _Builtin_intrinsics.intel
import LoomTensor

extension Q3_K {
    /// out[r] for r in `rows` (rowMajor) by the AVX2 dot.
    static func gemvRows(_ w: PackedMatrix, _ a: Q8Row, _ out: UnsafeMutablePointer<Float>, rows: Range<Int>) {
        for r in rows { out[r] = dotAVX2(w.rowMajorRow(r), a, count: w.cols) }
    }

    /// The dot of one Q3_K row with quantized activations (see the header).
    @inline(__always)
    static func dotAVX2(_ blocks: UnsafeRawPointer, _ a: Q8Row, count: Int) -> Float {
        let m3 = _mm256_set1_epi8(3), ones = _mm256_set1_epi8(1)
        var total = _mm256_setzero_ps()
        for sb in 0..<count / 256 {
            let p = blocks + sb * 110
            let d = Half.f32(fromF16: p.loadUnaligned(fromByteOffset: 108, as: UInt16.self))
            let hm = p.loadUnaligned(as: __m256i.self)
            // ggml's unpacking of the 12 scale bytes into 16 bytes of 6-bit scales (0…63), minus 32.
            let a0 = p.loadUnaligned(fromByteOffset: 96, as: UInt32.self), a1 = p.loadUnaligned(fromByteOffset: 100, as: UInt32.self)
            let tmp = p.loadUnaligned(fromByteOffset: 104, as: UInt32.self)
            let k1: UInt32 = 0x0303_0303, k2: UInt32 = 0x0F0F_0F0F
            let u0 = (a0 & k2) | ((tmp & k1) << 4), u1 = (a1 & k2) | ((tmp >> 2 & k1) << 4)
            let u2 = (a0 >> 4 & k2) | ((tmp >> 4 & k1) << 4), u3 = (a1 >> 4 & k2) | ((tmp >> 6 & k1) << 4)
            let unsigned = _mm_setr_epi32(Int32(bitPattern: u0), Int32(bitPattern: u1), Int32(bitPattern: u2), Int32(bitPattern: u3))
            let scaleBytes = _mm256_broadcastsi128_si256(_mm_sub_epi8(unsigned, _mm_set1_epi8(32)))
            var c0 = _mm256_setzero_ps(), c1 = c0, c2 = c0, c3 = c0
            @inline(__always) func block(_ qs: __m256i, _ j: Int, _ k: Int, _ acc: inout __m256) {
                let b = 8 * sb + k
                let pick = _mm256_add_epi16(SubBlockScales.pickSigned0, _mm256_set1_epi16(Int16(2 * k * 257)))
                let scales = _mm256_srai_epi16(_mm256_shuffle_epi8(scaleBytes, pick), 8)
                let low = _mm256_and_si256(_mm256_srli_epi16(qs, Int32(2 * j)), m3)
                let high = _mm256_slli_epi16(_mm256_and_si256(_mm256_srli_epi16(hm, Int32(k)), ones), 2)
                let q = _mm256_or_si256(low, high)
                let av = UnsafeRawPointer(a.q + 32 * b).loadUnaligned(as: __m256i.self)
                let s = _mm256_madd_epi16(_mm256_maddubs_epi16(q, av), scales)
                let c = _mm256_madd_epi16(_mm256_maddubs_epi16(ones, av), scales)
                let t = _mm256_sub_epi32(s, _mm256_slli_epi32(c, 2))
                acc = _mm256_fmadd_ps(_mm256_cvtepi32_ps(t), _mm256_set1_ps(a.d[b]), acc)
            }
            for h in 0..<2 {
                let qs = p.loadUnaligned(fromByteOffset: 32 + 32 * h, as: __m256i.self)
                block(qs, 0, 4 * h, &c0); block(qs, 1, 4 * h + 1, &c1)
                block(qs, 2, 4 * h + 2, &c2); block(qs, 3, 4 * h + 3, &c3)
            }
            total = _mm256_fmadd_ps(_mm256_set1_ps(d), _mm256_add_ps(_mm256_add_ps(c0, c1), _mm256_add_ps(c2, c3)), total)
        }
        return FloatRows.reduce8(total)
    }
}
#endif
