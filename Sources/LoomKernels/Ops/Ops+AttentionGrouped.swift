// Grouped-query attention that reads each KV head's rows once for a tile of its query heads.
//
//   q:   [nTokens, nHead, headDim] f32        k, v: rows of headDim values in a KVRowFormat, at the
//                                            byte strides of a KVLayout (position, KV head)
//   out: [nTokens, nHead, headDim] f32        scores: [rows, pos0 + nTokens] f32 scratch
// For a query token and a run of w ≤ 4 consecutive query heads h…h+w−1 that share KV head
// h / group (a "tile"):
//   pass 1, over the visible K rows once: per row, the row is loaded (and dequantized) once and
//           dotted with the w query rows: sᵣⱼ = scale · qᵣ·kⱼ into score row r;
//   softmax: per head, pᵣⱼ = exp(sᵣⱼ − max) in place, Σ (the max tracked in pass 1);
//   pass 2, over the V rows once: per row, loaded once and accumulated into the w outputs.
// Each head's arithmetic is exactly the per-head loop's (Ops+Attention.swift: the same two 8-lane
// dot accumulators, tree sum and scalar tail; the same 4×8 / 8 / 1-lane weighted sums, in the
// same order), so for f32/f16 caches a tile gives the same bits as one head at a time; only the
// loads are shared. A group of g heads is cut into ⌈g/4⌉ tiles of near-equal width (5 → 3+2,
// 6 → 3+3, 8 → 4+4); a `heads` range that cuts a group (a thread split) makes shorter tiles.
// The tile width is a generic parameter, so each width compiles to straight-line code with its
// accumulators in registers. 16-lane vectors (one zmm on AVX-512, two ymm on AVX2) hold a
// head's two 8-lane dot accumulators side by side, and 16 lanes of its weighted sum: the same
// arithmetic per lane as the per-head loop, half the instructions (width 4: 8 + 2 zmm in pass 2).
// Measured (loom bench model, SmolLM2 Q4_0, 2 threads, Zen 4, README): tg128 at depth 2048 went
// from 78–99 t/s (per-head loop, position-major f16 cache) to 109–137 (f16) and 153–163 (q8_0).
// For an f16 cache at depth the pass is memory-bound and the head-major layout is what counts (one
// head at a time over it measured the same 137 t/s); for q8_0/q4_0 sharing the dequantization
// across the group is worth 10–25% (per-head over the same cache: 130–149 t/s).

#if LOOM_AVX2
import _Builtin_intrinsics.intel
#endif

/// A compile-time tile width (query heads per pass over K/V).
protocol HeadTile { static var width: Int { get } }
enum HeadTile1: HeadTile { static var width: Int { 1 } }
enum HeadTile2: HeadTile { static var width: Int { 2 } }
enum HeadTile3: HeadTile { static var width: Int { 3 } }
enum HeadTile4: HeadTile { static var width: Int { 4 } }

/// 16 f32 lanes (one AVX-512 register).
typealias V16 = SIMD16<Float>

extension Ops {
    /// Level 1 of `hsum` for two vectors: [u.low + u.high | v.low + v.high].
    @inline(__always)
    static func hsumPair(_ u: V8, _ v: V8) -> V8 {
        V8(lowHalf: u.lowHalf, highHalf: v.lowHalf) + V8(lowHalf: u.highHalf, highHalf: v.highHalf)
    }

    /// Level 2 of `hsum` for two level-1 vectors: [x0+x2, x1+x3, y0+y2, y1+y3 | x4+x6, x5+x7, y4+y6, y5+y7].
    @inline(__always)
    static func hsumQuad(_ x: V8, _ y: V8) -> V8 {
        #if LOOM_AVX2   // pairs of floats are 64-bit lanes: unpack lo / hi
        let a = _mm256_castps_pd(x), b = _mm256_castps_pd(y)
        return _mm256_add_ps(_mm256_castpd_ps(_mm256_unpacklo_pd(a, b)), _mm256_castpd_ps(_mm256_unpackhi_pd(a, b)))
        #else
        V8(x[0], x[1], y[0], y[1], x[4], x[5], y[4], y[5]) + V8(x[2], x[3], y[2], y[3], x[6], x[7], y[6], y[7])
        #endif
    }

    /// Level 3 of `hsum` for two level-2 vectors: [x0+x1, x2+x3, y0+y1, y2+y3 | x4+x5, x6+x7, y4+y5, y6+y7].
    /// For u⁰…u⁷, hsum8(hsumQuad(hsumPair(u⁰, u⁴), hsumPair(u¹, u⁵)), hsumQuad(hsumPair(u², u⁶),
    /// hsumPair(u³, u⁷))) = [hsum(u⁰), …, hsum(u⁷)] with the same additions as `hsum` (IEEE addition
    /// commutes, so the operand order within each add does not matter).
    @inline(__always)
    static func hsum8(_ x: V8, _ y: V8) -> V8 {
        #if LOOM_AVX2
        _mm256_hadd_ps(x, y)
        #else
        V8(x[0], x[2], y[0], y[2], x[4], x[6], y[4], y[6]) + V8(x[1], x[3], y[1], y[3], x[5], x[7], y[5], y[7])
        #endif
    }

    /// Lane-wise maximum (for scores, which are never NaN unless the inputs are).
    @inline(__always)
    static func max8(_ a: V8, _ b: V8) -> V8 {
        #if LOOM_AVX2
        _mm256_max_ps(a, b)
        #else
        a.replacing(with: b, where: b .> a)
        #endif
    }

    /// Loads 16 floats from `p` (no alignment required).
    @inline(__always)
    static func load16(_ p: UnsafePointer<Float>) -> V16 { UnsafeRawPointer(p).loadUnaligned(as: V16.self) }

    /// Stores 16 floats at `p` (no alignment required).
    @inline(__always)
    static func store16(_ v: V16, _ p: UnsafeMutablePointer<Float>) { UnsafeMutableRawPointer(p).storeBytes(of: v, as: V16.self) }
}

extension Ops {
    /// Most query heads one pass over a KV head's rows serves.
    static let maxHeadTile = 4

    /// The grouped loop over a cache in format `F`; `maxTile` 1 gives one head per pass.
    @inline(never)
    static func groupedAttention<F: KVRowFormat>(
        _: F.Type, _ q: UnsafePointer<Float>, _ k: UnsafeRawPointer, _ v: UnsafeRawPointer,
        _ out: UnsafeMutablePointer<Float>, _ shape: AttentionShape, _ heads: Range<Int>, _ tokens: Range<Int>,
        _ scores: UnsafeMutablePointer<Float>, _ scratchCount: Int, maxTile: Int, _ layout: KVLayout, path: KernelPath = .baseline
    ) {
        checkAttention(shape, heads, tokens, scratchCount)
        let nHead = shape.nHead, headDim = shape.headDim, group = nHead / shape.nKVHead
        let rowLength = shape.pos0 + shape.nTokens
        let rows = max(1, min(maxTile, maxHeadTile, group, scratchCount / max(1, rowLength)))
        let stride = layout.positionStride, headStride = layout.headStride
        if path >= .avx2, NativeAttention.run(F.self, q, k, v, out, shape, heads, tokens, scores, rows: rows, layout, path: path) { return }
        for t in tokens {
            let p = shape.pos0 + t
            let first = shape.window.map { max(0, p - $0 + 1) } ?? 0
            let n = p + 1 - first
            var h = heads.lowerBound
            while h < heads.upperBound {
                let kvHead = h / group
                let run = min(heads.upperBound, (kvHead + 1) * group) - h   // heads of this KV head still to do
                let tiles = (run + rows - 1) / rows
                let w = (run + tiles - 1) / tiles
                let at = first * stride + kvHead * headStride
                let tile = GroupTile(q: q + (t * nHead + h) * headDim, k: k + at, v: v + at, stride: stride, count: n,
                                     headDim: headDim, scale: shape.scale, scores: scores, rowLength: rowLength,
                                     out: out + (t * nHead + h) * headDim)
                switch w {
                case 1: tile.run(F.self, HeadTile1.self)
                case 2: tile.run(F.self, HeadTile2.self)
                case 3: tile.run(F.self, HeadTile3.self)
                default: tile.run(F.self, HeadTile4.self)
                }
                h += w
            }
        }
    }
}

/// One tile's buffers: w query rows (consecutive heads of one token, headDim apart), the KV head's
/// first visible K and V rows (`stride` bytes apart), w score rows and w output rows.
struct GroupTile {
    let q: UnsafePointer<Float>
    let k: UnsafeRawPointer
    let v: UnsafeRawPointer
    let stride: Int
    let count: Int
    let headDim: Int
    let scale: Float
    let scores: UnsafeMutablePointer<Float>
    let rowLength: Int
    let out: UnsafeMutablePointer<Float>

    @inline(__always)
    func run<F: KVRowFormat, T: HeadTile>(_ f: F.Type, _ t: T.Type) {
        let maxima = scorePass(f, t)
        var inverse = SIMD4<Float>()
        for r in 0..<T.width {
            inverse[r] = 1 / Ops.expSubtractingMax(scores + r * rowLength, n: count, max: maxima[r])
        }
        valuePass(f, t, inverse)
    }

    /// The w heads' dot products with the K row at `row` up to their last 8-lane chunk, as 8-lane
    /// partial sums u_r: the per-head loop's dot is hsum(u_r) followed by its scalar tail.
    @inline(__always)
    func partials<F: KVRowFormat, T: HeadTile>(_: F.Type, _: T.Type, _ row: UnsafeRawPointer) -> (V8, V8, V8, V8) {
        let w = T.width
        // a: [lanes 0–7 | 8–15] = the per-head loop's two 8-lane accumulators (chunks i, i + 8).
        var a0 = V16(), a1 = V16(), a2 = V16(), a3 = V16()
        var i = 0
        while i + 16 <= headDim {
            let x = F.load16(row, i)
            a0.addProductFast(Ops.load16(q + i), x)
            if w > 1 { a1.addProductFast(Ops.load16(q + headDim + i), x) }
            if w > 2 { a2.addProductFast(Ops.load16(q + 2 * headDim + i), x) }
            if w > 3 { a3.addProductFast(Ops.load16(q + 3 * headDim + i), x) }
            i += 16
        }
        var l0 = a0.lowHalf, l1 = a1.lowHalf, l2 = a2.lowHalf, l3 = a3.lowHalf
        if i + 8 <= headDim {
            let x = F.load8(row, i)
            l0.addProductFast(Ops.load8(q + i), x)
            if w > 1 { l1.addProductFast(Ops.load8(q + headDim + i), x) }
            if w > 2 { l2.addProductFast(Ops.load8(q + 2 * headDim + i), x) }
            if w > 3 { l3.addProductFast(Ops.load8(q + 3 * headDim + i), x) }
        }
        return (l0 + a0.highHalf, l1 + a1.highHalf, l2 + a2.highHalf, l3 + a3.highHalf)
    }

    /// Score row r, position j = scale · q_r · k_j, each K row loaded once for the w heads; returns
    /// each row's maximum (the value `Ops.maximum` finds: max is exact in any order). When headDim
    /// is whole 8-lane chunks, 8 positions' tree sums are done at once (Ops.hsum8: the same adds).
    @inline(__always)
    func scorePass<F: KVRowFormat, T: HeadTile>(_ f: F.Type, _ t: T.Type) -> SIMD4<Float> {
        let w = T.width
        let s0 = scores, s1 = scores + rowLength, s2 = scores + 2 * rowLength, s3 = scores + 3 * rowLength
        let scale8 = V8(repeating: scale)
        var v0 = V8(repeating: -.infinity), v1 = v0, v2 = v0, v3 = v0
        var j = 0
        if headDim % 8 == 0 {
            while j + 8 <= count {
                let row = k + j * stride
                // Positions (j, j+4), (j+1, j+5), … pair up in the first level of the tree.
                let p0 = partials(f, t, row), p4 = partials(f, t, row + 4 * stride)
                let x00 = Ops.hsumPair(p0.0, p4.0), x01 = Ops.hsumPair(p0.1, p4.1)
                let x02 = Ops.hsumPair(p0.2, p4.2), x03 = Ops.hsumPair(p0.3, p4.3)
                let p1 = partials(f, t, row + stride), p5 = partials(f, t, row + 5 * stride)
                let y0 = Ops.hsumQuad(x00, Ops.hsumPair(p1.0, p5.0)), y1 = Ops.hsumQuad(x01, Ops.hsumPair(p1.1, p5.1))
                let y2 = Ops.hsumQuad(x02, Ops.hsumPair(p1.2, p5.2)), y3 = Ops.hsumQuad(x03, Ops.hsumPair(p1.3, p5.3))
                let p2 = partials(f, t, row + 2 * stride), p6 = partials(f, t, row + 6 * stride)
                let z00 = Ops.hsumPair(p2.0, p6.0), z01 = Ops.hsumPair(p2.1, p6.1)
                let z02 = Ops.hsumPair(p2.2, p6.2), z03 = Ops.hsumPair(p2.3, p6.3)
                let p3 = partials(f, t, row + 3 * stride), p7 = partials(f, t, row + 7 * stride)
                let e0 = Ops.hsum8(y0, Ops.hsumQuad(z00, Ops.hsumPair(p3.0, p7.0))) * scale8
                Ops.store8(e0, s0 + j); v0 = Ops.max8(v0, e0)
                if w > 1 {
                    let e1 = Ops.hsum8(y1, Ops.hsumQuad(z01, Ops.hsumPair(p3.1, p7.1))) * scale8
                    Ops.store8(e1, s1 + j); v1 = Ops.max8(v1, e1)
                }
                if w > 2 {
                    let e2 = Ops.hsum8(y2, Ops.hsumQuad(z02, Ops.hsumPair(p3.2, p7.2))) * scale8
                    Ops.store8(e2, s2 + j); v2 = Ops.max8(v2, e2)
                }
                if w > 3 {
                    let e3 = Ops.hsum8(y3, Ops.hsumQuad(z03, Ops.hsumPair(p3.3, p7.3))) * scale8
                    Ops.store8(e3, s3 + j); v3 = Ops.max8(v3, e3)
                }
                j += 8
            }
        }
        var m0 = Ops.hmax(v0), m1 = Ops.hmax(v1), m2 = Ops.hmax(v2), m3 = Ops.hmax(v3)
        let tail = headDim & ~7
        while j < count {
            let row = k + j * stride
            let u = partials(f, t, row)
            var d0 = Ops.hsum(u.0)
            var d1 = w > 1 ? Ops.hsum(u.1) : 0
            var d2 = w > 2 ? Ops.hsum(u.2) : 0
            var d3 = w > 3 ? Ops.hsum(u.3) : 0
            var i = tail
            while i < headDim {
                let x = F.value(row, i)
                d0.addProductFast(q[i], x)
                if w > 1 { d1.addProductFast(q[headDim + i], x) }
                if w > 2 { d2.addProductFast(q[2 * headDim + i], x) }
                if w > 3 { d3.addProductFast(q[3 * headDim + i], x) }
                i += 1
            }
            d0 *= scale; s0[j] = d0; m0 = Swift.max(m0, d0)
            if w > 1 { d1 *= scale; s1[j] = d1; m1 = Swift.max(m1, d1) }
            if w > 2 { d2 *= scale; s2[j] = d2; m2 = Swift.max(m2, d2) }
            if w > 3 { d3 *= scale; s3[j] = d3; m3 = Swift.max(m3, d3) }
            j += 1
        }
        return SIMD4(m0, m1, m2, m3)
    }

    /// out_r = inverse[r] · Σⱼ p_rj · v_j, each V row loaded once for the w heads (32, 8, then 1 lanes).
    @inline(__always)
    func valuePass<F: KVRowFormat, T: HeadTile>(_: F.Type, _: T.Type, _ inverse: SIMD4<Float>) {
        let w = T.width
        let p0 = scores, p1 = scores + rowLength, p2 = scores + 2 * rowLength, p3 = scores + 3 * rowLength
        let o0 = out, o1 = out + headDim, o2 = out + 2 * headDim, o3 = out + 3 * headDim
        let m0 = V8(repeating: inverse[0]), m1 = V8(repeating: inverse[1])
        let m2 = V8(repeating: inverse[2]), m3 = V8(repeating: inverse[3])
        let n0 = V16(repeating: inverse[0]), n1 = V16(repeating: inverse[1])
        let n2 = V16(repeating: inverse[2]), n3 = V16(repeating: inverse[3])
        var d = 0
        while d + 32 <= headDim {
            // Lane-wise FMA chains over j, as the per-head loop's 4×8 lanes (the vector width does
            // not change any lane's arithmetic).
            var c00 = V16(), c01 = V16(), c10 = V16(), c11 = V16(), c20 = V16(), c21 = V16(), c30 = V16(), c31 = V16()
            var row = v
            for j in 0..<count {
                let x0 = F.load16(row, d), x1 = F.load16(row, d + 16)
                let e0 = V16(repeating: p0[j])
                c00.addProductFast(e0, x0); c01.addProductFast(e0, x1)
                if w > 1 { let e1 = V16(repeating: p1[j]); c10.addProductFast(e1, x0); c11.addProductFast(e1, x1) }
                if w > 2 { let e2 = V16(repeating: p2[j]); c20.addProductFast(e2, x0); c21.addProductFast(e2, x1) }
                if w > 3 { let e3 = V16(repeating: p3[j]); c30.addProductFast(e3, x0); c31.addProductFast(e3, x1) }
                row += stride
            }
            Ops.store16(c00 * n0, o0 + d); Ops.store16(c01 * n0, o0 + d + 16)
            if w > 1 { Ops.store16(c10 * n1, o1 + d); Ops.store16(c11 * n1, o1 + d + 16) }
            if w > 2 { Ops.store16(c20 * n2, o2 + d); Ops.store16(c21 * n2, o2 + d + 16) }
            if w > 3 { Ops.store16(c30 * n3, o3 + d); Ops.store16(c31 * n3, o3 + d + 16) }
            d += 32
        }
        while d + 8 <= headDim {
            var c0 = V8(), c1 = V8(), c2 = V8(), c3 = V8()
            var row = v
            for j in 0..<count {
                let x = F.load8(row, d)
                c0.addProductFast(V8(repeating: p0[j]), x)
                if w > 1 { c1.addProductFast(V8(repeating: p1[j]), x) }
                if w > 2 { c2.addProductFast(V8(repeating: p2[j]), x) }
                if w > 3 { c3.addProductFast(V8(repeating: p3[j]), x) }
                row += stride
            }
            Ops.store8(c0 * m0, o0 + d)
            if w > 1 { Ops.store8(c1 * m1, o1 + d) }
            if w > 2 { Ops.store8(c2 * m2, o2 + d) }
            if w > 3 { Ops.store8(c3 * m3, o3 + d) }
            d += 8
        }
        while d < headDim {
            var c0: Float = 0, c1: Float = 0, c2: Float = 0, c3: Float = 0
            var row = v
            for j in 0..<count {
                let x = F.value(row, d)
                c0.addProductFast(p0[j], x)
                if w > 1 { c1.addProductFast(p1[j], x) }
                if w > 2 { c2.addProductFast(p2[j], x) }
                if w > 3 { c3.addProductFast(p3[j], x) }
                row += stride
            }
            o0[d] = c0 * inverse[0]
            if w > 1 { o1[d] = c1 * inverse[1] }
            if w > 2 { o2[d] = c2 * inverse[2] }
            if w > 3 { o3[d] = c3 * inverse[3] }
            d += 1
        }
    }
}
