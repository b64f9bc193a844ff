// Q4_K on AVX2: GEMV and GEMM over interleaved8 records (8 rows × one 256-element super-block,
// Q4_K.swift / KQuant.swift), against Loom's 32-value Q8 activations.
//
// Per record: the 8 rows' d and dmin as f32 vectors; the 96 scale bytes decoded once into four
// byte vectors (sub-blocks 0–3 / 4–7 × scales / mins, byte 8·(j mod 4) + r), and per sub-block
// widened to one i32 lane per row. Per pair of sub-blocks (64 elements, 8 chunks, one 32-byte
// load each): low nibbles are sub-block 2p, high nibbles 2p + 1, each against its activation
// block's 8 words broadcast (`vpmaddubsw`, summed in i16: 8·2·15·127 = 30 480 < 32 767, then
// `vpmaddwd`); the i32 sums are multiplied by the 6-bit scales exactly (`vpmulld`), then
//   s += f32(sc·Σq·a)·d_a,  mm += f32(m)·s_a    per sub-block,  acc += d·s − dmin·mm  per record,
// the reference's order (Q4_K.dotReference), so SIMD and scalar results are the same bits.
// The GEMM unpacks a pair's nibbles once and dots them with 4 tokens.

#if LOOM_AVX2
import _Builtin_intrinsics.intel

/// The per-record scalars of a Q4_K / Q5_K record: d, dmin and the decoded 6-bit scales and mins.
struct KScaleMin {
    let d, dmin: __m256
    /// Bytes 8·j + r: scale (sc) or min (m) of sub-block j (sc03, m03) or 4 + j (sc47, m47), row r.
    let sc03, sc47, m03, m47: __m256i

    /// From the record at `p`: [d: 16 B][dmin: 16 B][scales: 96 B, byte 8i + r = scales[i] of row r].
    @inline(__always)
    init(_ p: UnsafeRawPointer) {
        d = _mm256_cvtph_ps(p.loadUnaligned(as: __m128i.self))
        dmin = _mm256_cvtph_ps(p.loadUnaligned(fromByteOffset: 16, as: __m128i.self))
        let a = p.loadUnaligned(fromByteOffset: 32, as: __m256i.self)   // scales[0…3]
        let b = p.loadUnaligned(fromByteOffset: 64, as: __m256i.self)   // scales[4…7]
        let c = p.loadUnaligned(fromByteOffset: 96, as: __m256i.self)   // scales[8…11]
        let m6 = _mm256_set1_epi8(63), m4 = _mm256_set1_epi8(15), top = _mm256_set1_epi8(0x30)
        sc03 = _mm256_and_si256(a, m6)
        m03 = _mm256_and_si256(b, m6)
        sc47 = _mm256_or_si256(_mm256_and_si256(c, m4), _mm256_and_si256(_mm256_srli_epi16(a, 2), top))
        m47 = _mm256_or_si256(_mm256_and_si256(_mm256_srli_epi16(c, 4), m4), _mm256_and_si256(_mm256_srli_epi16(b, 2), top))
    }

    /// Bytes 8k…8k+7 of `v` (k < 4, a constant after inlining) as 8 i32 lanes.
    @inline(__always)
    static func lanes(_ v: __m256i, _ k: Int) -> __m256i {
        let low = k == 0 ? v : _mm256_permutevar8x32_epi32(v, _mm256_setr_epi32(Int32(2 * k), Int32(2 * k + 1), 0, 0, 0, 0, 0, 0))
        return _mm256_cvtepu8_epi32(_mm256_castsi256_si128(low))
    }
}

/// Per-token accumulators of one super-block: s = Σ f32(sc·Σq·a)·d_a, mm = Σ f32(m)·s_a.
struct KSums {
    var s = _mm256_setzero_ps(), mm = _mm256_setzero_ps()

    /// Adds sub-block `j` (its integer dot `i`, scale lanes `sc`, min lanes as f32 `m`) for token
    /// row `a`'s activation block `b`.
    @inline(__always)
    mutating func add(_ i: __m256i, _ sc: __m256i, _ m: __m256, _ a: Q8Row, _ b: Int) {
        s = _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_mullo_epi32(i, sc)), _mm256_set1_ps(a.d[b]), s)
        mm = _mm256_fmadd_ps(m, _mm256_set1_ps(a.s[b]), mm)
    }

    /// acc + d·s − dmin·mm.
    @inline(__always)
    func finish(_ acc: __m256, _ h: KScaleMin) -> __m256 {
        _mm256_fnmadd_ps(h.dmin, mm, _mm256_fmadd_ps(h.d, s, acc))
    }
}

extension Q4_K {
    /// Σ q·a per row of a pair's sub-blocks (low nibbles of chunks x, y against words w[0…7],
    /// high nibbles against w[8…15]).
    @inline(__always)
    static func pairDot(_ x: Nibbles, _ y: Nibbles, _ w: UnsafePointer<Int32>) -> (__m256i, __m256i) {
        @inline(__always) func b(_ i: Int) -> __m256i { _mm256_set1_epi32(w[i]) }
        var s = _mm256_maddubs_epi16(x.l0, b(0))
        s = _mm256_add_epi16(s, _mm256_maddubs_epi16(x.l1, b(1)))
        s = _mm256_add_epi16(s, _mm256_maddubs_epi16(x.l2, b(2)))
        s = _mm256_add_epi16(s, _mm256_maddubs_epi16(x.l3, b(3)))
        s = _mm256_add_epi16(s, _mm256_maddubs_epi16(y.l0, b(4)))
        s = _mm256_add_epi16(s, _mm256_maddubs_epi16(y.l1, b(5)))
        s = _mm256_add_epi16(s, _mm256_maddubs_epi16(y.l2, b(6)))
        s = _mm256_add_epi16(s, _mm256_maddubs_epi16(y.l3, b(7)))
        var t = _mm256_maddubs_epi16(x.h0, b(8))
        t = _mm256_add_epi16(t, _mm256_maddubs_epi16(x.h1, b(9)))
        t = _mm256_add_epi16(t, _mm256_maddubs_epi16(x.h2, b(10)))
        t = _mm256_add_epi16(t, _mm256_maddubs_epi16(x.h3, b(11)))
        t = _mm256_add_epi16(t, _mm256_maddubs_epi16(y.h0, b(12)))
        t = _mm256_add_epi16(t, _mm256_maddubs_epi16(y.h1, b(13)))
        t = _mm256_add_epi16(t, _mm256_maddubs_epi16(y.h2, b(14)))
        t = _mm256_add_epi16(t, _mm256_maddubs_epi16(y.h3, b(15)))
        let ones = _mm256_set1_epi16(1)
        return (_mm256_madd_epi16(s, ones), _mm256_madd_epi16(t, ones))
    }

    /// Pair `p` (sub-blocks 2p, 2p + 1) of super-block `i` of the record at `rec` for one token.
    @inline(__always)
    static func pair(_ rec: UnsafeRawPointer, _ h: KScaleMin, _ p: Int, _ i: Int, _ a: Q8Row, _ sums: inout KSums) {
        let q = rec + 128 + 256 * p
        let w = UnsafeRawPointer(a.q + 256 * i + 64 * p).assumingMemoryBound(to: Int32.self)
        let (i0, i1) = pairDot(Nibbles(q), Nibbles(q + 128), w)
        let sc = p < 2 ? h.sc03 : h.sc47, m = p < 2 ? h.m03 : h.m47, k = 2 * (p & 1)
        sums.add(i0, KScaleMin.lanes(sc, k), _mm256_cvtepi32_ps(KScaleMin.lanes(m, k)), a, 8 * i + 2 * p)
        sums.add(i1, KScaleMin.lanes(sc, k + 1), _mm256_cvtepi32_ps(KScaleMin.lanes(m, k + 1)), a, 8 * i + 2 * p + 1)
    }

    static func gemv8(_ w: PackedMatrix, _ a: Q8Row, _ out: UnsafeMutablePointer<Float>, groups: Range<Int>) {
        let blocks = w.cols / 256, record = w.recordBytes
        for g in groups {
            var acc = _mm256_setzero_ps()
            var rec = UnsafeRawPointer(w.data) + g * blocks * record
            for i in 0..<blocks {
                let h = KScaleMin(rec)
                var sums = KSums()
                pair(rec, h, 0, i, a, &sums)
                pair(rec, h, 1, i, a, &sums)
                pair(rec, h, 2, i, a, &sums)
                pair(rec, h, 3, i, a, &sums)
                acc = sums.finish(acc, h)
                rec += record
            }
            UnsafeMutableRawPointer(out + 8 * g).storeBytes(of: acc, as: __m256.self)
        }
    }

    /// Pair `p` of super-block `i` for 4 tokens: the nibbles are unpacked once.
    @inline(__always)
    static func pair4(_ rec: UnsafeRawPointer, _ h: KScaleMin, _ p: Int, _ i: Int,
                      _ a: (Q8Row, Q8Row, Q8Row, Q8Row), _ sums: inout (KSums, KSums, KSums, KSums)) {
        let q = rec + 128 + 256 * p
        let x = Nibbles(q), y = Nibbles(q + 128)
        let sc = p < 2 ? h.sc03 : h.sc47, m = p < 2 ? h.m03 : h.m47, k = 2 * (p & 1)
        let sc0 = KScaleMin.lanes(sc, k), sc1 = KScaleMin.lanes(sc, k + 1)
        let m0 = _mm256_cvtepi32_ps(KScaleMin.lanes(m, k)), m1 = _mm256_cvtepi32_ps(KScaleMin.lanes(m, k + 1))
        let b = 8 * i + 2 * p, o = 256 * i + 64 * p
        @inline(__always) func token(_ a: Q8Row, _ s: inout KSums) {
            let (i0, i1) = pairDot(x, y, UnsafeRawPointer(a.q + o).assumingMemoryBound(to: Int32.self))
            s.add(i0, sc0, m0, a, b)
            s.add(i1, sc1, m1, a, b + 1)
        }
        token(a.0, &sums.0); token(a.1, &sums.1); token(a.2, &sums.2); token(a.3, &sums.3)
    }

    static func gemm8(_ w: PackedMatrix, _ act: Q8Activations, _ out: UnsafeMutablePointer<Float>,
                      tokens: Range<Int>, groups: Range<Int>) {
        precondition(tokens.count % 4 == 0)
        let blocks = w.cols / 256, record = w.recordBytes, n = w.rows
        for g in groups {
            var t = tokens.lowerBound
            while t < tokens.upperBound {
                let a = (act.row(t), act.row(t + 1), act.row(t + 2), act.row(t + 3))
                var c0 = _mm256_setzero_ps(), c1 = c0, c2 = c0, c3 = c0
                var rec = UnsafeRawPointer(w.data) + g * blocks * record
                for i in 0..<blocks {
                    let h = KScaleMin(rec)
                    var sums = (KSums(), KSums(), KSums(), KSums())
                    pair4(rec, h, 0, i, a, &sums)
                    pair4(rec, h, 1, i, a, &sums)
                    pair4(rec, h, 2, i, a, &sums)
                    pair4(rec, h, 3, i, a, &sums)
                    c0 = sums.0.finish(c0, h); c1 = sums.1.finish(c1, h)
                    c2 = sums.2.finish(c2, h); c3 = sums.3.finish(c3, h)
                    rec += record
                }
                GEMMAVX2.store4(c0, c1, c2, c3, out, token: t, rows: n, group: g)
                t += 4
            }
        }
    }
}
#endif
