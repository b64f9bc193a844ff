// Q6_K on AVX2: GEMV and GEMM over interleaved8 records (8 rows × one 256-element super-block,
// Q6_K.swift), against Loom's 32-value Q8 activations.
//
// Activation block t = 4n + u of a super-block (half n, quarter u) takes 8 chunks i < 8: the
// nibbles of ql chunk 16n + 8·(u & 1) + i (low for u < 2, high otherwise) and bits 2u, 2u + 1 of
// qh chunk 8n + i, moved to bits 4–5 with one 16-bit shift (bits crossing bytes never reach a
// byte's bits 4–5), giving codes q in 0…63, unsigned for `vpmaddubsw`.
//
// The zero point: per 16-element sub-block and row, the i16 pairs Σ q·a (4 chunks, up to 64 008,
// so they wrap) minus the same pairs of 32·a (`KBias`, row-independent, computed once per token
// and call) are Σ(q − 32)·a, |·| ≤ 4·2·32·127 = 32 512: exact in i16 modulo 2¹⁶. `vpmaddwd` with
// the rows' int8 scales (each duplicated into both i16 of the row's lane) gives sc·Σ(q − 32)·a
// exactly; the f32 epilogue is the reference's (Q6_K.dotReference), so the results are its bits.

#if LOOM_AVX2
import _Builtin_intrinsics.intel

/// Per token: for each 16-element sub-block, the i16 pair (32·Σ a[4i], a[4i+1]; 32·Σ a[4i+2], a[4i+3])
/// over its 4 words, as one Int32 — what `vpmaddubsw(32, a)` sums to over a sub-block's chunks.
enum KBias {
    /// Fills bias[0..<k/16] for the activation row `a` of `k` values.
    @inline(__always)
    static func fill(_ a: Q8Row, k: Int, into bias: UnsafeMutablePointer<Int32>) {
        for s in 0..<k / 16 {
            let q = a.q + 16 * s
            var lo: Int32 = 0, hi: Int32 = 0
            for i in 0..<4 { lo += Int32(q[4 * i]) + Int32(q[4 * i + 1]); hi += Int32(q[4 * i + 2]) + Int32(q[4 * i + 3]) }
            bias[s] = Int32(bitPattern: UInt32(UInt16(truncatingIfNeeded: 32 * lo)) | UInt32(UInt16(truncatingIfNeeded: 32 * hi)) << 16)
        }
    }
}

/// The 8 code vectors (0…63) of one activation block of a Q6_K record, built once per record and block.
struct Q6Codes {
    let q0, q1, q2, q3, q4, q5, q6, q7: __m256i

    /// Block t = 4n + u of the record at `rec`.
    @inline(__always)
    init(_ rec: UnsafeRawPointer, _ t: Int) {
        let n = t >> 2, u = t & 3
        let ql = rec + 32 * (16 * n + 8 * (u & 1)), qh = rec + 1024 + 32 * (8 * n)
        let m4 = _mm256_set1_epi8(0x0F), m2 = _mm256_set1_epi8(0x30)
        @inline(__always) func code(_ i: Int) -> __m256i {
            let l = ql.loadUnaligned(fromByteOffset: 32 * i, as: __m256i.self)
            let h = qh.loadUnaligned(fromByteOffset: 32 * i, as: __m256i.self)
            let low = u < 2 ? _mm256_and_si256(l, m4) : _mm256_and_si256(_mm256_srli_epi16(l, 4), m4)
            let high: __m256i
            switch u {
            case 0: high = _mm256_slli_epi16(h, 4)
            case 1: high = _mm256_slli_epi16(h, 2)
            case 2: high = h
            default: high = _mm256_srli_epi16(h, 2)
            }
            return _mm256_or_si256(low, _mm256_and_si256(high, m2))
        }
        q0 = code(0); q1 = code(1); q2 = code(2); q3 = code(3); q4 = code(4); q5 = code(5); q6 = code(6); q7 = code(7)
    }

    /// Σ sc·(q − 32)·a per row (i32) against the block's 8 words `w`, the biases of its two
    /// sub-blocks, and the two scale-pair vectors.
    @inline(__always)
    func dot(_ w: UnsafePointer<Int32>, _ bias: UnsafePointer<Int32>, _ sc0: __m256i, _ sc1: __m256i) -> __m256i {
        @inline(__always) func b(_ i: Int) -> __m256i { _mm256_set1_epi32(w[i]) }
        var s = _mm256_maddubs_epi16(q0, b(0))
        s = _mm256_add_epi16(s, _mm256_maddubs_epi16(q1, b(1)))
        s = _mm256_add_epi16(s, _mm256_maddubs_epi16(q2, b(2)))
        s = _mm256_add_epi16(s, _mm256_maddubs_epi16(q3, b(3)))
        var t = _mm256_maddubs_epi16(q4, b(4))
        t = _mm256_add_epi16(t, _mm256_maddubs_epi16(q5, b(5)))
        t = _mm256_add_epi16(t, _mm256_maddubs_epi16(q6, b(6)))
        t = _mm256_add_epi16(t, _mm256_maddubs_epi16(q7, b(7)))
        s = _mm256_sub_epi16(s, _mm256_set1_epi32(bias[0]))
        t = _mm256_sub_epi16(t, _mm256_set1_epi32(bias[1]))
        return _mm256_add_epi32(_mm256_madd_epi16(s, sc0), _mm256_madd_epi16(t, sc1))
    }

    /// The scale pairs of block t's two sub-blocks: each row's int8 scale in both i16 of its lane.
    @inline(__always)
    static func scales(_ rec: UnsafeRawPointer, _ t: Int) -> (__m256i, __m256i) {
        let x = rec.loadUnaligned(fromByteOffset: 1536 + 16 * t, as: __m128i.self)
        return (_mm256_cvtepi8_epi16(_mm_unpacklo_epi8(x, x)), _mm256_cvtepi8_epi16(_mm_unpackhi_epi8(x, x)))
    }
}

extension Q6_K {
    /// s + f32(Σ sc·(q − 32)·a)·d_a for activation block t of super-block i (t a constant after
    /// inlining, so the code selection folds).
    @inline(__always)
    static func block(_ rec: UnsafeRawPointer, _ t: Int, _ i: Int, _ aw: UnsafePointer<Int32>, _ bias: UnsafePointer<Int32>,
                      _ a: Q8Row, _ s: __m256) -> __m256 {
        let q = Q6Codes(rec, t), (sc0, sc1) = Q6Codes.scales(rec, t), b = 8 * i + t
        return _mm256_fmadd_ps(_mm256_cvtepi32_ps(q.dot(aw + 8 * b, bias + 2 * b, sc0, sc1)), _mm256_set1_ps(a.d[b]), s)
    }

    static func gemv8(_ w: PackedMatrix, _ a: Q8Row, _ out: UnsafeMutablePointer<Float>, groups: Range<Int>) {
        let k = w.cols, blocks = k / 256, record = w.recordBytes
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: k / 16) { buffer in
            let bias = buffer.baseAddress!
            KBias.fill(a, k: k, into: bias)
            let aw = UnsafeRawPointer(a.q).assumingMemoryBound(to: Int32.self)
            for g in groups {
                var acc = _mm256_setzero_ps()
                var rec = UnsafeRawPointer(w.data) + g * blocks * record
                for i in 0..<blocks {
                    var s = _mm256_setzero_ps()
                    s = block(rec, 0, i, aw, bias, a, s); s = block(rec, 1, i, aw, bias, a, s)
                    s = block(rec, 2, i, aw, bias, a, s); s = block(rec, 3, i, aw, bias, a, s)
                    s = block(rec, 4, i, aw, bias, a, s); s = block(rec, 5, i, aw, bias, a, s)
                    s = block(rec, 6, i, aw, bias, a, s); s = block(rec, 7, i, aw, bias, a, s)
                    acc = _mm256_fmadd_ps(_mm256_cvtph_ps(rec.loadUnaligned(fromByteOffset: 1664, as: __m128i.self)), s, acc)
                    rec += record
                }
                UnsafeMutableRawPointer(out + 8 * g).storeBytes(of: acc, as: __m256.self)
            }
        }
    }

    static func gemm8(_ w: PackedMatrix, _ act: Q8Activations, _ out: UnsafeMutablePointer<Float>,
                      tokens: Range<Int>, groups: Range<Int>) {
        precondition(tokens.count % 4 == 0)
        let k = w.cols, blocks = k / 256, record = w.recordBytes, n = w.rows, per = k / 16
        withUnsafeTemporaryAllocation(of: Int32.self, capacity: tokens.count * per) { buffer in
            let bias = buffer.baseAddress!
            for (j, t) in tokens.enumerated() { KBias.fill(act.row(t), k: k, into: bias + j * per) }
            for g in groups {
                var t = tokens.lowerBound
                while t < tokens.upperBound {
                    let a0 = act.row(t), a1 = act.row(t + 1), a2 = act.row(t + 2), a3 = act.row(t + 3)
                    let w0 = UnsafeRawPointer(a0.q).assumingMemoryBound(to: Int32.self)
                    let w1 = UnsafeRawPointer(a1.q).assumingMemoryBound(to: Int32.self)
                    let w2 = UnsafeRawPointer(a2.q).assumingMemoryBound(to: Int32.self)
                    let w3 = UnsafeRawPointer(a3.q).assumingMemoryBound(to: Int32.self)
                    let b0 = bias + (t - tokens.lowerBound) * per, b1 = b0 + per, b2 = b1 + per, b3 = b2 + per
                    var c0 = _mm256_setzero_ps(), c1 = c0, c2 = c0, c3 = c0
                    var rec = UnsafeRawPointer(w.data) + g * blocks * record
                    for i in 0..<blocks {
                        var s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0
                        @inline(__always) func block4(_ tb: Int) {
                            let q = Q6Codes(rec, tb), (sc0, sc1) = Q6Codes.scales(rec, tb), b = 8 * i + tb
                            s0 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(q.dot(w0 + 8 * b, b0 + 2 * b, sc0, sc1)), _mm256_set1_ps(a0.d[b]), s0)
                            s1 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(q.dot(w1 + 8 * b, b1 + 2 * b, sc0, sc1)), _mm256_set1_ps(a1.d[b]), s1)
                            s2 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(q.dot(w2 + 8 * b, b2 + 2 * b, sc0, sc1)), _mm256_set1_ps(a2.d[b]), s2)
                            s3 = _mm256_fmadd_ps(_mm256_cvtepi32_ps(q.dot(w3 + 8 * b, b3 + 2 * b, sc0, sc1)), _mm256_set1_ps(a3.d[b]), s3)
                        }
                        block4(0); block4(1); block4(2); block4(3); block4(4); block4(5); block4(6); block4(7)
                        let d = _mm256_cvtph_ps(rec.loadUnaligned(fromByteOffset: 1664, as: __m128i.self))
                        c0 = _mm256_fmadd_ps(d, s0, c0); c1 = _mm256_fmadd_ps(d, s1, c1)
                        c2 = _mm256_fmadd_ps(d, s2, c2); c3 = _mm256_fmadd_ps(d, s3, c3)
                        rec += record
                    }
                    GEMMAVX2.store4(c0, c1, c2, c3, out, token: t, rows: n, group: g)
                    t += 4
                }
            }
        }
    }
}
#endif
