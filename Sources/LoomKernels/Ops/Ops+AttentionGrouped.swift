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
// accumulators in registers (width 4: 16 + 4 ymm in pass 2, which AVX-512VL's 32 registers hold).

/// A compile-time tile width (query heads per pass over K/V).
protocol HeadTile { static var width: Int { get } }
enum HeadTile1: HeadTile { static var width: Int { 1 } }
enum HeadTile2: HeadTile { static var width: Int { 2 } }
enum HeadTile3: HeadTile { static var width: Int { 3 } }
enum HeadTile4: HeadTile { static var width: Int { 4 } }

extension Ops {
    /// Most query heads one pass over a KV head's rows serves.
    static let maxHeadTile = 4

    /// The grouped loop over a cache in format `F`; `maxTile` 1 gives one head per pass.
    @inline(never)
    static func groupedAttention<F: KVRowFormat>(
        _: F.Type, _ q: UnsafePointer<Float>, _ k: UnsafeRawPointer, _ v: UnsafeRawPointer,
        _ out: UnsafeMutablePointer<Float>, _ shape: AttentionShape, _ heads: Range<Int>, _ tokens: Range<Int>,
        _ scores: UnsafeMutablePointer<Float>, _ scratchCount: Int, maxTile: Int, _ layout: KVLayout
    ) {
        checkAttention(shape, heads, tokens, scratchCount)
        let nHead = shape.nHead, headDim = shape.headDim, group = nHead / shape.nKVHead
        let rowLength = shape.pos0 + shape.nTokens
        let rows = max(1, min(maxTile, maxHeadTile, group, scratchCount / max(1, rowLength)))
        let stride = layout.positionStride, headStride = layout.headStride
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

    /// Score row r, position j = scale · q_r · k_j, each K row loaded once for the w heads; returns
    /// each row's maximum (the value `Ops.maximum` finds: max is exact in any order).
    @inline(__always)
    func scorePass<F: KVRowFormat, T: HeadTile>(_: F.Type, _: T.Type) -> SIMD4<Float> {
        var m0 = -Float.infinity, m1 = -Float.infinity, m2 = -Float.infinity, m3 = -Float.infinity
        let w = T.width
        let q0 = q, q1 = q + headDim, q2 = q + 2 * headDim, q3 = q + 3 * headDim
        let s0 = scores, s1 = scores + rowLength, s2 = scores + 2 * rowLength, s3 = scores + 3 * rowLength
        var row = k
        for j in 0..<count {
            var a0 = V8(), b0 = V8(), a1 = V8(), b1 = V8(), a2 = V8(), b2 = V8(), a3 = V8(), b3 = V8()
            var i = 0
            while i + 16 <= headDim {
                let k0 = F.load8(row, i), k1 = F.load8(row, i + 8)
                a0.addProduct(Ops.load8(q0 + i), k0); b0.addProduct(Ops.load8(q0 + i + 8), k1)
                if w > 1 { a1.addProduct(Ops.load8(q1 + i), k0); b1.addProduct(Ops.load8(q1 + i + 8), k1) }
                if w > 2 { a2.addProduct(Ops.load8(q2 + i), k0); b2.addProduct(Ops.load8(q2 + i + 8), k1) }
                if w > 3 { a3.addProduct(Ops.load8(q3 + i), k0); b3.addProduct(Ops.load8(q3 + i + 8), k1) }
                i += 16
            }
            if i + 8 <= headDim {
                let k0 = F.load8(row, i)
                a0.addProduct(Ops.load8(q0 + i), k0)
                if w > 1 { a1.addProduct(Ops.load8(q1 + i), k0) }
                if w > 2 { a2.addProduct(Ops.load8(q2 + i), k0) }
                if w > 3 { a3.addProduct(Ops.load8(q3 + i), k0) }
                i += 8
            }
            var d0 = Ops.hsum(a0 + b0)
            var d1 = w > 1 ? Ops.hsum(a1 + b1) : 0
            var d2 = w > 2 ? Ops.hsum(a2 + b2) : 0
            var d3 = w > 3 ? Ops.hsum(a3 + b3) : 0
            while i < headDim {
                let x = F.value(row, i)
                d0.addProduct(q0[i], x)
                if w > 1 { d1.addProduct(q1[i], x) }
                if w > 2 { d2.addProduct(q2[i], x) }
                if w > 3 { d3.addProduct(q3[i], x) }
                i += 1
            }
            d0 *= scale; s0[j] = d0; m0 = Swift.max(m0, d0)
            if w > 1 { d1 *= scale; s1[j] = d1; m1 = Swift.max(m1, d1) }
            if w > 2 { d2 *= scale; s2[j] = d2; m2 = Swift.max(m2, d2) }
            if w > 3 { d3 *= scale; s3[j] = d3; m3 = Swift.max(m3, d3) }
            row += stride
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
        var d = 0
        while d + 32 <= headDim {
            var c00 = V8(), c01 = V8(), c02 = V8(), c03 = V8(), c10 = V8(), c11 = V8(), c12 = V8(), c13 = V8()
            var c20 = V8(), c21 = V8(), c22 = V8(), c23 = V8(), c30 = V8(), c31 = V8(), c32 = V8(), c33 = V8()
            var row = v
            for j in 0..<count {
                let x0 = F.load8(row, d), x1 = F.load8(row, d + 8), x2 = F.load8(row, d + 16), x3 = F.load8(row, d + 24)
                let e0 = V8(repeating: p0[j])
                c00.addProduct(e0, x0); c01.addProduct(e0, x1); c02.addProduct(e0, x2); c03.addProduct(e0, x3)
                if w > 1 {
                    let e1 = V8(repeating: p1[j])
                    c10.addProduct(e1, x0); c11.addProduct(e1, x1); c12.addProduct(e1, x2); c13.addProduct(e1, x3)
                }
                if w > 2 {
                    let e2 = V8(repeating: p2[j])
                    c20.addProduct(e2, x0); c21.addProduct(e2, x1); c22.addProduct(e2, x2); c23.addProduct(e2, x3)
                }
                if w > 3 {
                    let e3 = V8(repeating: p3[j])
                    c30.addProduct(e3, x0); c31.addProduct(e3, x1); c32.addProduct(e3, x2); c33.addProduct(e3, x3)
                }
                row += stride
            }
            Ops.store8(c00 * m0, o0 + d); Ops.store8(c01 * m0, o0 + d + 8)
            Ops.store8(c02 * m0, o0 + d + 16); Ops.store8(c03 * m0, o0 + d + 24)
            if w > 1 {
                Ops.store8(c10 * m1, o1 + d); Ops.store8(c11 * m1, o1 + d + 8)
                Ops.store8(c12 * m1, o1 + d + 16); Ops.store8(c13 * m1, o1 + d + 24)
            }
            if w > 2 {
                Ops.store8(c20 * m2, o2 + d); Ops.store8(c21 * m2, o2 + d + 8)
                Ops.store8(c22 * m2, o2 + d + 16); Ops.store8(c23 * m2, o2 + d + 24)
            }
            if w > 3 {
                Ops.store8(c30 * m3, o3 + d); Ops.store8(c31 * m3, o3 + d + 8)
                Ops.store8(c32 * m3, o3 + d + 16); Ops.store8(c33 * m3, o3 + d + 24)
            }
            d += 32
        }
        while d + 8 <= headDim {
            var c0 = V8(), c1 = V8(), c2 = V8(), c3 = V8()
            var row = v
            for j in 0..<count {
                let x = F.load8(row, d)
                c0.addProduct(V8(repeating: p0[j]), x)
                if w > 1 { c1.addProduct(V8(repeating: p1[j]), x) }
                if w > 2 { c2.addProduct(V8(repeating: p2[j]), x) }
                if w > 3 { c3.addProduct(V8(repeating: p3[j]), x) }
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
                c0.addProduct(p0[j], x)
                if w > 1 { c1.addProduct(p1[j], x) }
                if w > 2 { c2.addProduct(p2[j], x) }
                if w > 3 { c3.addProduct(p3[j], x) }
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
