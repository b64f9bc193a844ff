// Record8Kernel: what a type's `+AVX2.swift` gives the interleaved8 GEMV/GEMM drivers — how to
// unpack one record (8 rows × one 32-element block, Repack.swift) into vectors, and how to add one
// token's block to 8 rows' f32 accumulators. The drivers (GEMV+AVX2.swift, GEMM+AVX2.swift) are
// generic over it and specialized per type, so the per-block work inlines into the loops and the
// type is chosen once per matmul (Int8Format.gemv8 / gemm8).
//
// Integer dots: `vpmaddubsw` (unsigned weights × signed activations → i16 pairs) then `vpmaddwd`
// (→ i32 per row), against 4 activation bytes broadcast to every row's lane. Zero points and
// minimums move into the activation sums s_a = d_a·Σa (Q8Activations):
//   Q4_0: d_w·(d_a·Σ q·a − 8·s_a)     Q5_0: d_w·(d_a·Σ q·a − 16·s_a)
//   Q4_1/Q5_1: d_w·d_a·Σ q·a + m_w·s_a          Q8_0: d_w·d_a·Σ w·a (ggml's sign trick)
// One float epilogue per record: the 8 rows' scales are one vector. (The K-quants' super-block
// records have their own GEMV/GEMM in their `+AVX2.swift`, with the same driver shape.)

#if LOOM_AVX2
import _Builtin_intrinsics.intel

/// A record's per-block kernel for the AVX2 drivers.
protocol Record8Kernel {
    /// A record unpacked once (scales as vectors, quants as byte vectors), reused for every token.
    associatedtype Unpacked
    /// Unpacks the record at `record`.
    static func unpack(_ record: UnsafeRawPointer) -> Unpacked
    /// Σ q·a per row (i32 × 8) of the record at `record` against one activation block's 8 words.
    static func dot(_ q: Unpacked, _ record: UnsafeRawPointer, _ aw: UnsafePointer<Int32>) -> __m256i
    /// acc (8 rows) + the float epilogue of `dot`'s result `i` for activation row `a`'s block `b`.
    static func accumulate(_ acc: __m256, _ q: Unpacked, _ i: __m256i, _ a: Q8Row, block b: Int) -> __m256
}

extension Int8Format where Self: Record8Kernel {
    static func gemv8(_ w: PackedMatrix, _ a: Q8Row, _ out: UnsafeMutablePointer<Float>, groups: Range<Int>) {
        GEMVAVX2.run(Self.self, w, a, out, groups: groups)
    }

    static func gemm8(_ w: PackedMatrix, _ act: Q8Activations, _ out: UnsafeMutablePointer<Float>,
                      tokens: Range<Int>, groups: Range<Int>) {
        GEMMAVX2.run(Self.self, w, act, out, tokens: tokens, groups: groups)
    }
}

/// The 8 unpacked nibble vectors of a Q4/Q5 record's 4 chunks (low/high nibbles), loaded once.
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

    @inline(__always)
    init(l0: __m256i, l1: __m256i, l2: __m256i, l3: __m256i, h0: __m256i, h1: __m256i, h2: __m256i, h3: __m256i) {
        self.l0 = l0; self.l1 = l1; self.l2 = l2; self.l3 = l3
        self.h0 = h0; self.h1 = h1; self.h2 = h2; self.h3 = h3
    }

    /// Σ q·a per row (i32 × 8) for 4-bit q against one activation block's 8 words. The 8 chunks'
    /// i16 products are summed before widening: |Σ| ≤ 8·2·15·127 = 30 480 < 32 767.
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

    /// Σ q·a per row for 5-bit q (0…31): pairs reach 2·31·127 = 7 874, so the low and the high
    /// chunks are summed in i16 separately (4·7 874 = 31 496) and widened before adding.
    @inline(__always)
    func dot5(_ aw: UnsafePointer<Int32>) -> __m256i {
        var s = _mm256_maddubs_epi16(l0, _mm256_set1_epi32(aw[0]))
        s = _mm256_add_epi16(s, _mm256_maddubs_epi16(l1, _mm256_set1_epi32(aw[1])))
        s = _mm256_add_epi16(s, _mm256_maddubs_epi16(l2, _mm256_set1_epi32(aw[2])))
        s = _mm256_add_epi16(s, _mm256_maddubs_epi16(l3, _mm256_set1_epi32(aw[3])))
        var t = _mm256_maddubs_epi16(h0, _mm256_set1_epi32(aw[4]))
        t = _mm256_add_epi16(t, _mm256_maddubs_epi16(h1, _mm256_set1_epi32(aw[5])))
        t = _mm256_add_epi16(t, _mm256_maddubs_epi16(h2, _mm256_set1_epi32(aw[6])))
        t = _mm256_add_epi16(t, _mm256_maddubs_epi16(h3, _mm256_set1_epi32(aw[7])))
        let ones = _mm256_set1_epi16(1)
        return _mm256_add_epi32(_mm256_madd_epi16(s, ones), _mm256_madd_epi16(t, ones))
    }
}
#endif
