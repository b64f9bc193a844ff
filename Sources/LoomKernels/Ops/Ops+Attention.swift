// Causal multi-head attention with grouped-query heads (GQA) over a KV cache, for decode and prefill.
//
//   q:      [nTokens, nHead, headDim]      f32, already RoPE'd
//   kCache: [nKV, nKVHead, headDim]        one row per position; f32, f16, q8_0 or q4_0 (KVRowFormat.swift)
//   vCache: [nKV, nKVHead, headDim]        one row per position (not transposed); same type
//   or, with a `KVLayout`, any byte strides between positions and between KV heads: KVCache keeps
//   each KV head's rows contiguous ([nKVHead, capacity, headDim]), so a head's pass over its K or V
//   rows streams sequential memory (the row-major layout reads 2 of every 6 cache lines per pass,
//   which the hardware prefetchers follow badly: 2.4× slower from DRAM in a microbenchmark)
//   out:    [nTokens, nHead, headDim]      f32
// Query token t sits at absolute position p = pos0 + t and attends to cache positions 0...p, or with a
// sliding window of w positions (`AttentionShape.window`) to max(0, p − w + 1)...p: key j is visible
// iff p − j < w (llama.cpp's LLAMA_SWA_TYPE_STANDARD mask, `llama_hparams::is_masked_swa`).
// Query head h reads KV head h / (nHead / nKVHead). For each (t, h):
//   sⱼ = scale · q·kⱼ            (scale defaults to 1/√headDim)
//   pⱼ = exp(sⱼ − max s) / Σ exp(s − max s)
//   out = Σⱼ pⱼ·vⱼ                (accumulated in f32, normalized once at the end)
// This is the math of llama.cpp's non-flash path (ggml_mul_mat → ggml_soft_max_ext with the causal
// mask → ggml_mul_mat) and of ggml_compute_forward_flash_attn_ext_f16 (which differs only in
// rounding: it keeps Q and the accumulator in f16). Here K/V are widened (dequantized) to f32 on
// load, in registers.
//
// Work split: `heads` selects the query heads and `tokens` the query tokens to compute, so a thread
// pool can hand each thread a disjoint head range (decode) or a token range of equal causal cost
// (`AttentionShape.tokens(part:of:)`, prefill); calls with disjoint ranges write disjoint parts of
// `out`, and each (token, head) is computed the same way whatever the split.
// Scratch: `scratch` holds rows of scores of pos0 + nTokens floats each: one row is the minimum,
// `shape.scoreRows` rows (`shape.scratchCount` floats) let up to 4 heads of a GQA group share one
// pass over their K/V rows; each concurrent call needs its own.
// Kernels (`AttentionKernel`, a kernel lab): `grouped` (Ops+AttentionGrouped.swift) reads each KV
// head's rows once per tile of its query heads; `perHead` is the loop below, one head at a time,
// kept as the benchmark baseline. For f32/f16 both give the same bits (OpsAttentionTests).
// Vectorized: 8-lane dot products over headDim, the vector `Ops.exp`, P·V with 4×8 accumulators.
// Tested against a scalar Double reference (OpsAttentionTests) within 2e-5 of max |out|.
// Measured (Zen 3, 1 thread, -O -wmo -target-cpu native, f16 cache, 9 heads / 3 KV heads × 64):
// ≈ 10 ns per (position, head), i.e. 1.4 ms per token for 30 layers at ctx 512, per head; the
// grouped loop's figures are in Ops+AttentionGrouped.swift. Next step if it matters: K in
// transposed 8-position tiles (changes the f16 bits), an int8 dot for q8_0 keys.

import LoomTensor

/// The shape of one attention call (see Ops+Attention.swift for the buffer layouts).
public struct AttentionShape: Sendable, Equatable {
    /// Query tokens in this call (1 for decode).
    public var nTokens: Int
    /// Query heads.
    public var nHead: Int
    /// Key/value heads; nHead must be a multiple of it (GQA group = nHead / nKVHead).
    public var nKVHead: Int
    /// Dimensions per head.
    public var headDim: Int
    /// Rows allocated in the caches (positions); must be ≥ pos0 + nTokens.
    public var nKV: Int
    /// Absolute position of the first query token.
    public var pos0: Int
    /// Multiplier of q·k (1/√headDim unless the model says otherwise).
    public var scale: Float
    /// Sliding window: a query at position p sees keys p − window + 1 … p; nil = all earlier keys.
    public var window: Int?

    /// A shape; `scale` nil means 1/√headDim; `window` nil means full causal attention.
    public init(
        nTokens: Int, nHead: Int, nKVHead: Int, headDim: Int, nKV: Int, pos0: Int, scale: Float? = nil,
        window: Int? = nil
    ) {
        precondition(window.map { $0 >= 1 } ?? true, "attention: window must be ≥ 1")
        self.window = window
        self.nTokens = nTokens
        self.nHead = nHead
        self.nKVHead = nKVHead
        self.headDim = headDim
        self.nKV = nKV
        self.pos0 = pos0
        self.scale = scale ?? 1 / Float(headDim).squareRoot()
    }

    /// Score rows the grouped kernel uses: the GQA group size, at most 4.
    public var scoreRows: Int { Self.scoreRows(nHead: nHead, nKVHead: nKVHead) }

    /// Score rows the grouped kernel uses for `nHead` query heads over `nKVHead` KV heads.
    public static func scoreRows(nHead: Int, nKVHead: Int) -> Int {
        min(Ops.maxHeadTile, max(1, nHead / max(1, nKVHead)))
    }

    /// Floats of scratch for the fastest path: `scoreRows` rows of pos0 + nTokens (the longest
    /// score row). One row, pos0 + nTokens, is the minimum (heads then go one at a time).
    public var scratchCount: Int { scoreRows * (pos0 + nTokens) }

    /// Part `part` of `parts` consecutive token ranges with (nearly) equal causal cost: token t
    /// attends to pos0 + t + 1 positions, so later tokens cost more and get shorter ranges.
    public func tokens(part: Int, of parts: Int) -> Range<Int> {
        precondition(parts >= 1 && part >= 0 && part < parts, "tokens: part \(part) of \(parts)")
        // cost(0..<t) = t·(pos0 + 1) + t(t−1)/2; the boundary b(i) is the first t whose cost ≥ total·i/parts.
        func cost(_ t: Int) -> Double { Double(t) * Double(pos0 + 1) + Double(t) * Double(t - 1) / 2 }
        func boundary(_ i: Int) -> Int {
            if i >= parts { return nTokens }
            let target = cost(nTokens) * Double(i) / Double(parts)
            var lo = 0, hi = nTokens
            while lo < hi { let mid = (lo + hi) / 2; if cost(mid) < target { lo = mid + 1 } else { hi = mid } }
            return lo
        }
        return boundary(part)..<boundary(part + 1)
    }
}

/// Where the K and V rows of an attention call are: byte strides between positions and between KV
/// heads (the same for K and V).
public struct KVLayout: Sendable, Equatable {
    /// Bytes from a head's row at position j to its row at position j + 1.
    public var positionStride: Int
    /// Bytes from KV head h's row to KV head h + 1's row at the same position.
    public var headStride: Int

    /// A layout with these strides.
    public init(positionStride: Int, headStride: Int) {
        self.positionStride = positionStride
        self.headStride = headStride
    }

    /// [nKV, nKVHead, headDim] of `type`: one row of every head per position (the default).
    public static func rowMajor(_ shape: AttentionShape, type: GGMLType) -> KVLayout {
        let head = type.byteCount(elements: shape.headDim) ?? 0
        return KVLayout(positionStride: shape.nKVHead * head, headStride: head)
    }

    /// [nKVHead, capacity, headDim] of `type`: each head's rows contiguous.
    public static func headMajor(_ shape: AttentionShape, capacity: Int, type: GGMLType) -> KVLayout {
        let head = type.byteCount(elements: shape.headDim) ?? 0
        return KVLayout(positionStride: head, headStride: capacity * head)
    }
}

extension AttentionShape: CustomStringConvertible {
    /// A compact summary, e.g. `t1 h9/3 d64 kv512 pos0 41`.
    public var description: String {
        "t\(nTokens) h\(nHead)/\(nKVHead) d\(headDim) kv\(nKV) pos0 \(pos0)"
    }
}

/// A KV-cache element type: loads as f32.
protocol KVElement {
    /// 8 consecutive elements at `p`, widened to f32.
    static func load8(_ p: UnsafePointer<Self>) -> SIMD8<Float>
    /// The element as f32.
    var asFloat: Float { get }
}

extension Float: KVElement {
    @inline(__always)
    static func load8(_ p: UnsafePointer<Float>) -> SIMD8<Float> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float>.self)
    }
    @inline(__always) var asFloat: Float { self }
}

extension Float16: KVElement {
    @inline(__always)
    static func load8(_ p: UnsafePointer<Float16>) -> SIMD8<Float> {
        #if LOOM_AVX2
        SIMD8<Float>(UnsafeRawPointer(p).loadUnaligned(as: SIMD8<Float16>.self))
        #else
        F16Widen.load8(UnsafeRawPointer(p))
        #endif
    }
    @inline(__always) var asFloat: Float { Float(self) }
}

/// Which attention loop runs (a kernel lab; see Ops+Attention.swift).
public enum AttentionKernel: String, Sendable, CaseIterable {
    /// Each KV head's rows read once for up to 4 of its query heads (the default).
    case grouped
    /// One query head at a time (the loop before grouped attention; the benchmark baseline).
    case perHead
}

extension Ops {
    /// KV cache element types `attention` reads.
    public static let attentionCacheTypes: Set<GGMLType> = [.f32, .f16, .q8_0, .q4_0]

    /// Causal GQA attention over a KV cache of `type` (f32, f16, q8_0 or q4_0; see the file header).
    /// - Parameters:
    ///   - q: [nTokens, nHead, headDim]; kCache, vCache: [nKV, nKVHead, headDim] values of `type`
    ///     (for q8_0/q4_0, headDim is a multiple of 32 and each head row is whole blocks);
    ///   - out: [nTokens, nHead, headDim]; only the heads in `heads` are written.
    ///   - heads: query heads to compute (nil = all), for splitting work across threads.
    ///   - tokens: query tokens to compute (nil = all).
    ///   - scratch: ≥ pos0 + nTokens floats (shape.scratchCount for the fastest path), overwritten.
    ///   - kernel: the loop (`.grouped` unless measuring).
    ///   - layout: the rows' strides (nil = row-major [nKV, nKVHead, headDim]); the per-head loop of
    ///     f32/f16 reads row-major caches only (with another layout it runs the grouped loop one
    ///     head at a time).
    public static func attention(
        q: UnsafePointer<Float>, kCache: UnsafeRawPointer, vCache: UnsafeRawPointer, type: GGMLType,
        out: UnsafeMutablePointer<Float>, shape: AttentionShape, heads: Range<Int>? = nil, tokens: Range<Int>? = nil,
        scratch: UnsafeMutablePointer<Float>, scratchCount: Int, kernel: AttentionKernel = .grouped, layout: KVLayout? = nil
    ) {
        attention(q: q, kCache: kCache, vCache: vCache, type: type, out: out, shape: shape, heads: heads, tokens: tokens,
                  scratch: scratch, scratchCount: scratchCount, kernel: kernel, layout: layout, path: KernelPath.active)
    }

    /// `attention` on a given kernel path: on avx2/avx512 the C kernel (Ops+AttentionNative.swift;
    /// `.perHead` as its one-head tiles), on baseline the Swift loops.
    static func attention(
        q: UnsafePointer<Float>, kCache: UnsafeRawPointer, vCache: UnsafeRawPointer, type: GGMLType,
        out: UnsafeMutablePointer<Float>, shape: AttentionShape, heads: Range<Int>?, tokens: Range<Int>?,
        scratch: UnsafeMutablePointer<Float>, scratchCount: Int, kernel: AttentionKernel, layout: KVLayout?, path: KernelPath
    ) {
        let heads = heads ?? 0..<shape.nHead, tokens = tokens ?? 0..<shape.nTokens
        let tile = kernel == .grouped ? maxHeadTile : 1
        let rowMajor = KVLayout.rowMajor(shape, type: type), layout = layout ?? rowMajor
        let legacy = kernel == .perHead && layout == rowMajor && path == .baseline
        switch type {
        case .f32:
            if legacy {
                let count = shape.nKV * shape.nKVHead * shape.headDim
                attentionKernel(kCache.bindMemory(to: Float.self, capacity: count), vCache.bindMemory(to: Float.self, capacity: count),
                                q, out, shape, heads, tokens, scratch, scratchCount)
            } else {
                groupedAttention(F32Rows.self, q, kCache, vCache, out, shape, heads, tokens, scratch, scratchCount, maxTile: tile, layout, path: path)
            }
        case .f16:
            if legacy {
                let count = shape.nKV * shape.nKVHead * shape.headDim
                attentionKernel(kCache.bindMemory(to: Float16.self, capacity: count), vCache.bindMemory(to: Float16.self, capacity: count),
                                q, out, shape, heads, tokens, scratch, scratchCount)
            } else {
                groupedAttention(F16Rows.self, q, kCache, vCache, out, shape, heads, tokens, scratch, scratchCount, maxTile: tile, layout, path: path)
            }
        case .q8_0:
            precondition(shape.headDim % 32 == 0, "attention: a q8_0 cache needs headDim % 32 == 0, got \(shape.headDim)")
            groupedAttention(Q8_0Rows.self, q, kCache, vCache, out, shape, heads, tokens, scratch, scratchCount, maxTile: tile, layout, path: path)
        case .q4_0:
            precondition(shape.headDim % 32 == 0, "attention: a q4_0 cache needs headDim % 32 == 0, got \(shape.headDim)")
            groupedAttention(Q4_0Rows.self, q, kCache, vCache, out, shape, heads, tokens, scratch, scratchCount, maxTile: tile, layout, path: path)
        default:
            preconditionFailure("attention: no \(type) KV cache")
        }
    }

    /// Causal GQA attention over an f32 KV cache (see the file header for layouts and math).
    /// - Parameters:
    ///   - q: [nTokens, nHead, headDim]; kCache, vCache: [nKV, nKVHead, headDim];
    ///   - out: [nTokens, nHead, headDim]; only the heads in `heads` are written.
    ///   - heads: query heads to compute (nil = all), for splitting work across threads.
    ///   - scratch: ≥ pos0 + nTokens floats (shape.scratchCount for the fastest path), overwritten.
    public static func attention(
        q: UnsafePointer<Float>, kCache: UnsafePointer<Float>, vCache: UnsafePointer<Float>,
        out: UnsafeMutablePointer<Float>, shape: AttentionShape, heads: Range<Int>? = nil, tokens: Range<Int>? = nil,
        scratch: UnsafeMutablePointer<Float>, scratchCount: Int, kernel: AttentionKernel = .grouped
    ) {
        attention(q: q, kCache: UnsafeRawPointer(kCache), vCache: UnsafeRawPointer(vCache), type: .f32, out: out, shape: shape,
                  heads: heads, tokens: tokens, scratch: scratch, scratchCount: scratchCount, kernel: kernel)
    }

    /// Causal GQA attention over an f16 KV cache (`Float16` elements; see the f32 overload).
    public static func attention(
        q: UnsafePointer<Float>, kCache: UnsafePointer<Float16>, vCache: UnsafePointer<Float16>,
        out: UnsafeMutablePointer<Float>, shape: AttentionShape, heads: Range<Int>? = nil, tokens: Range<Int>? = nil,
        scratch: UnsafeMutablePointer<Float>, scratchCount: Int, kernel: AttentionKernel = .grouped
    ) {
        attention(q: q, kCache: UnsafeRawPointer(kCache), vCache: UnsafeRawPointer(vCache), type: .f16, out: out, shape: shape,
                  heads: heads, tokens: tokens, scratch: scratch, scratchCount: scratchCount, kernel: kernel)
    }

    /// Causal GQA attention over an f16 KV cache stored as raw fp16 bit patterns (as in GGUF/ggml).
    public static func attention(
        q: UnsafePointer<Float>, kCache: UnsafePointer<UInt16>, vCache: UnsafePointer<UInt16>,
        out: UnsafeMutablePointer<Float>, shape: AttentionShape, heads: Range<Int>? = nil, tokens: Range<Int>? = nil,
        scratch: UnsafeMutablePointer<Float>, scratchCount: Int, kernel: AttentionKernel = .grouped
    ) {
        attention(q: q, kCache: UnsafeRawPointer(kCache), vCache: UnsafeRawPointer(vCache), type: .f16, out: out, shape: shape,
                  heads: heads, tokens: tokens, scratch: scratch, scratchCount: scratchCount, kernel: kernel)
    }

    /// The shape invariants every attention loop checks.
    static func checkAttention(_ shape: AttentionShape, _ heads: Range<Int>, _ tokens: Range<Int>, _ scratchCount: Int) {
        let nHead = shape.nHead, nKVHead = shape.nKVHead
        precondition(nHead >= 1 && nKVHead >= 1 && nHead % nKVHead == 0,
                     "attention: nHead \(nHead) must be a positive multiple of nKVHead \(nKVHead)")
        precondition(shape.headDim >= 1 && shape.nTokens >= 0 && shape.pos0 >= 0, "attention: bad shape")
        precondition(shape.nKV >= shape.pos0 + shape.nTokens,
                     "attention: nKV \(shape.nKV) < pos0 + nTokens \(shape.pos0 + shape.nTokens)")
        precondition(heads.lowerBound >= 0 && heads.upperBound <= nHead, "attention: heads out of range")
        precondition(tokens.lowerBound >= 0 && tokens.upperBound <= shape.nTokens, "attention: tokens out of range")
        precondition(scratchCount >= shape.pos0 + shape.nTokens,
                     "attention: scratch \(scratchCount) < \(shape.pos0 + shape.nTokens) floats")
    }

    /// The per-head loop (`AttentionKernel.perHead`), specialized per KV element type.
    @inline(never)
    static func attentionKernel<KV: KVElement>(
        _ k: UnsafePointer<KV>, _ v: UnsafePointer<KV>, _ q: UnsafePointer<Float>,
        _ out: UnsafeMutablePointer<Float>, _ shape: AttentionShape, _ heads: Range<Int>, _ tokens: Range<Int>,
        _ scores: UnsafeMutablePointer<Float>, _ scratchCount: Int
    ) {
        checkAttention(shape, heads, tokens, scratchCount)
        let nHead = shape.nHead, nKVHead = shape.nKVHead, headDim = shape.headDim
        let group = nHead / nKVHead
        let rowStride = nKVHead * headDim
        let scale = shape.scale
        for t in tokens {
            let p = shape.pos0 + t
            let first = shape.window.map { max(0, p - $0 + 1) } ?? 0
            let nAttend = p + 1 - first
            for h in heads {
                let qRow = q + (t * nHead + h) * headDim
                let kvOffset = first * rowStride + (h / group) * headDim
                var kRow = k + kvOffset
                for j in 0..<nAttend {
                    scores[j] = dot(qRow, kRow, headDim) * scale
                    kRow += rowStride
                }
                let m = maximum(scores, nAttend)
                let sum = expSubtractingMax(scores, n: nAttend, max: m)
                weightedSum(scores, v + kvOffset, rowStride: rowStride, count: nAttend,
                            headDim: headDim, scale: 1 / sum, out: out + (t * nHead + h) * headDim)
            }
        }
    }

    /// q · k over n elements (two 8-lane accumulators, tree sum, scalar tail).
    @inline(__always)
    static func dot<KV: KVElement>(_ q: UnsafePointer<Float>, _ k: UnsafePointer<KV>, _ n: Int) -> Float {
        var a0 = V8(), a1 = V8()
        var i = 0
        while i + 16 <= n {
            a0.addProductFast(load8(q + i), KV.load8(k + i))
            a1.addProductFast(load8(q + i + 8), KV.load8(k + i + 8))
            i += 16
        }
        if i + 8 <= n {
            a0.addProductFast(load8(q + i), KV.load8(k + i))
            i += 8
        }
        var s = hsum(a0 + a1)
        while i < n {
            s.addProductFast(q[i], k[i].asFloat)
            i += 1
        }
        return s
    }

    /// out[d] = scale · Σⱼ p[j]·v[j·rowStride + d] for d in 0..<headDim (32, then 8, then 1 lanes).
    @inline(__always)
    static func weightedSum<KV: KVElement>(
        _ p: UnsafePointer<Float>, _ v: UnsafePointer<KV>, rowStride: Int, count: Int,
        headDim: Int, scale: Float, out: UnsafeMutablePointer<Float>
    ) {
        let s8 = V8(repeating: scale)
        var d = 0
        while d + 32 <= headDim {
            var a0 = V8(), a1 = V8(), a2 = V8(), a3 = V8()
            var row = v + d
            for j in 0..<count {
                let pj = V8(repeating: p[j])
                a0.addProductFast(pj, KV.load8(row))
                a1.addProductFast(pj, KV.load8(row + 8))
                a2.addProductFast(pj, KV.load8(row + 16))
                a3.addProductFast(pj, KV.load8(row + 24))
                row += rowStride
            }
            store8(a0 * s8, out + d)
            store8(a1 * s8, out + d + 8)
            store8(a2 * s8, out + d + 16)
            store8(a3 * s8, out + d + 24)
            d += 32
        }
        while d + 8 <= headDim {
            var a0 = V8()
            var row = v + d
            for j in 0..<count {
                a0.addProductFast(V8(repeating: p[j]), KV.load8(row))
                row += rowStride
            }
            store8(a0 * s8, out + d)
            d += 8
        }
        while d < headDim {
            var a: Float = 0
            for j in 0..<count { a.addProductFast(p[j], v[j * rowStride + d].asFloat) }
            out[d] = a * scale
            d += 1
        }
    }
}
