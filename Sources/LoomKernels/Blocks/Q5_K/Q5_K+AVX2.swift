// Q5_K on AVX2: Q4_K's kernels (Q4_K+AVX2.swift: KScaleMin, KSums) with a fifth bit. The record's
// 8 qh chunks (chunk i lane r = qh[4i…4i+3] of row r) are loaded once per record; sub-block j's
// fifth bits are bit j of each byte, moved to bit 4 by one 16-bit shift (left 4 − j or right
// j − 4: bits crossing into the neighbouring byte never land on its bit 4). Codes 0…31 against
// int8: pairs reach 2·31·127 = 7 874, so each sub-block's 8 chunks are summed in i16 as two
// halves of 4 (31 496) and widened before adding. The f32 epilogue is Q4_K's (the reference's).

#if LOOM_AVX2
import _Builtin_intrinsics.intel

/// The 8 fifth-bit chunks of a Q5_K record.
struct Q5High {
    let h0, h1, h2, h3, h4, h5, h6, h7: __m256i

    @inline(__always)
    init(_ p: UnsafeRawPointer) {
        func load(_ i: Int) -> __m256i { p.loadUnaligned(fromByteOffset: 32 * i, as: __m256i.self) }
        h0 = load(0); h1 = load(1); h2 = load(2); h3 = load(3); h4 = load(4); h5 = load(5); h6 = load(6); h7 = load(7)
    }

    /// Bit j of every byte of `h`, at bit 4.
    @inline(__always)
    static func bit(_ h: __m256i, _ j: Int) -> __m256i {
        let b4 = _mm256_set1_epi8(0x10)
        switch j {
        case 0: return _mm256_and_si256(_mm256_slli_epi16(h, 4), b4)
        case 1: return _mm256_and_si256(_mm256_slli_epi16(h, 3), b4)
        case 2: return _mm256_and_si256(_mm256_slli_epi16(h, 2), b4)
        case 3: return _mm256_and_si256(_mm256_slli_epi16(h, 1), b4)
        case 4: return _mm256_and_si256(h, b4)
        case 5: return _mm256_and_si256(_mm256_srli_epi16(h, 1), b4)
        case 6: return _mm256_and_si256(_mm256_srli_epi16(h, 2), b4)
        default: return _mm256_and_si256(_mm256_srli_epi16(h, 3), b4)
        }
    }

    /// The 5-bit codes of sub-blocks 2p (low nibbles of x, y) and 2p + 1 (high nibbles).
    @inline(__always)
    func codes(_ x: Nibbles, _ y: Nibbles, _ p: Int) -> (Nibbles, Nibbles) {
        let j = 2 * p
        @inline(__always) func or(_ a: __m256i, _ h: __m256i, _ j: Int) -> __m256i { _mm256_or_si256(a, Q5High.bit(h, j)) }
        return (Nibbles(l0: or(x.l0, h0, j), l1: or(x.l1, h1, j), l2: or(x.l2, h2, j), l3: or(x.l3, h3, j),
                        h0: or(x.h0, h0, j + 1), h1: or(x.h1, h1, j + 1), h2: or(x.h2, h2, j + 1), h3: or(x.h3, h3, j + 1)),
                Nibbles(l0: or(y.l0, h4, j), l1: or(y.l1, h5, j), l2: or(y.l2, h6, j), l3: or(y.l3, h7, j),
                        h0: or(y.h0, h4, j + 1), h1: or(y.h1, h5, j + 1), h2: or(y.h2, h6, j + 1), h3: or(y.h3, h7, j + 1)))
    }
}

extension Q5_K {
    /// Σ q·a per row of a pair's sub-blocks for 5-bit codes (x: chunks 0–3, y: chunks 4–7; low
    /// codes against w[0…7], high codes against w[8…15]).
    @inline(__always)
    static func pairDot(_ x: Nibbles, _ y: Nibbles, _ w: UnsafePointer<Int32>) -> (__m256i, __m256i) {
        @inline(__always) func b(_ i: Int) -> __m256i { _mm256_set1_epi32(w[i]) }
        let ones = _mm256_set1_epi16(1)
        @inline(__always) func four(_ a: __m256i, _ b0: __m256i, _ c: __m256i, _ b1: __m256i, _ d: __m256i, _ b2: __m256i, _ e: __m256i, _ b3: __m256i) -> __m256i {
            let s = _mm256_add_epi16(_mm256_add_epi16(_mm256_maddubs_epi16(a, b0), _mm256_maddubs_epi16(c, b1)),
                                     _mm256_add_epi16(_mm256_maddubs_epi16(d, b2), _mm256_maddubs_epi16(e, b3)))
            return _mm256_madd_epi16(s, ones)
        }
        let lo = _mm256_add_epi32(four(x.l0, b(0), x.l1, b(1), x.l2, b(2), x.l3, b(3)), four(y.l0, b(4), y.l1, b(5), y.l2, b(6), y.l3, b(7)))
        let hi = _mm256_add_epi32(four(x.h0, b(8), x.h1, b(9), x.h2, b(10), x.h3, b(11)), four(y.h0, b(12), y.h1, b(13), y.h2, b(14), y.h3, b(15)))
        return (lo, hi)
    }

    /// Pair `p` of super-block `i` for tokens `a` (1 or 4 used): codes built once.
    @inline(__always)
    static func pair(_ rec: UnsafeRawPointer, _ h: KScaleMin, _ high: Q5High, _ p: Int, _ i: Int, _ a: Q8Row, _ sums: inout KSums) {
        let q = rec + 384 + 256 * p
        let (x, y) = high.codes(Nibbles(q), Nibbles(q + 128), p)
        let (i0, i1) = pairDot(x, y, UnsafeRawPointer(a.q + 256 * i + 64 * p).assumingMemoryBound(to: Int32.self))
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
                let h = KScaleMin(rec), high = Q5High(rec + 128)
                var sums = KSums()
                pair(rec, h, high, 0, i, a, &sums)
                pair(rec, h, high, 1, i, a, &sums)
                pair(rec, h, high, 2, i, a, &sums)
                pair(rec, h, high, 3, i, a, &sums)
                acc = sums.finish(acc, h)
                rec += record
            }
            UnsafeMutableRawPointer(out + 8 * g).storeBytes(of: acc, as: __m256.self)
        }
    }

    /// Pair `p` of super-block `i` for 4 tokens: the codes are built once.
    @inline(__always)
    static func pair4(_ rec: UnsafeRawPointer, _ h: KScaleMin, _ high: Q5High, _ p: Int, _ i: Int,
                      _ a: (Q8Row, Q8Row, Q8Row, Q8Row), _ sums: inout (KSums, KSums, KSums, KSums)) {
        let q = rec + 384 + 256 * p
        let (x, y) = high.codes(Nibbles(q), Nibbles(q + 128), p)
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
                    let h = KScaleMin(rec), high = Q5High(rec + 128)
                    var sums = (KSums(), KSums(), KSums(), KSums())
                    pair4(rec, h, high, 0, i, a, &sums)
                    pair4(rec, h, high, 1, i, a, &sums)
                    pair4(rec, h, high, 2, i, a, &sums)
                    pair4(rec, h, high, 3, i, a, &sums)
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
