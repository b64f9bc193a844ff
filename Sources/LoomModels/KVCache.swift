// KVCache: keys and values of every layer for the tokens seen so far, in a KVCacheType.
//
//   k, v: [layers, kvHeads, capacity, headDim] of `type` — each KV head's rows contiguous, so
//         attention's pass over one head's rows streams sequential memory (Ops+Attention.swift,
//         KVLayout.headMajor); a head row is `headBytes` bytes (q8_0/q4_0: whole ggml blocks)
//
// `store` converts f32 rows when they are written: f16 by rounding, q8_0/q4_0 by LoomKernels'
// reference quantizers (Blocks/Q8_0, Blocks/Q4_0 — ggml's `quantize_row_q8_0_ref` /
// `quantize_row_q4_0_ref`), one head row at a time. Attention reads the rows as stored and
// dequantizes in registers (Ops.attention); nothing keeps a dequantized copy.
// Rotation (llama.cpp's attn_rot_k / attn_rot_v, llama-kv-cache.cpp): a quantized cache of heads
// with headDim % 64 == 0 stores H·k and H·v instead of k and v, H the orthonormal Walsh–Hadamard
// matrix (Ops.hadamard) on blocks of `keyRotation` (the largest power of 2 dividing headDim) and
// `valueRotation` (64) values. q·k = (Hq)·(Hk), so attention rotates the query rows the same way
// and rotates its output back (Σ p·Hv = H·Σ p·v; H·H = I). An outlier dimension of a head is then
// spread over the block and one scale per 32 values fits it better: on SmolLM2 Q4_0 (GPL-3, ctx 512)
// a q4_0 cache's perplexity goes from +25% over f16 without it to +6% with it (KVCacheTests), as
// llama.cpp's. So the stored blocks are llama.cpp's (up to the rotation's rounding).
// `count` positions are valid; `store` writes rows at count…; `truncate(to:)` keeps a prefix (how a
// chat's next turn reuses the common prefix of its prompt); `removeRows(keep:discard:)` drops
// positions keep..<keep+discard and moves the rest down (the model re-rotates the moved keys, see
// LlamaModel.shift; a quantized key is dequantized, rotated and quantized again, as llama.cpp does).
// `snapshot` / `restore` copy a prefix's stored bytes out and back in (the engine's prompt cache,
// LoomRuntime/PromptCache.swift): no conversion, so a restored prefix gives the same bits as recomputing it.

import LoomKernels
import LoomTensor

/// Per-layer key/value storage for one sequence.
public final class KVCache: @unchecked Sendable {
    public let layers: Int
    public let capacity: Int
    public let kvHeads: Int
    public let headDim: Int
    public let type: KVCacheType
    /// Values of one position's keys (or values): kvHeads · headDim.
    public var rowWidth: Int { kvHeads * headDim }
    /// Bytes of one head's row (`headDim` values of `type`).
    public let headBytes: Int
    /// The attention loop (kernel lab: `.perHead` only to measure the grouped one against it).
    public var attentionKernel: AttentionKernel = .grouped
    /// Walsh–Hadamard block width applied to stored keys (and to queries); 0 = none.
    public let keyRotation: Int
    /// Walsh–Hadamard block width applied to stored values (and back to attention outputs); 0 = none.
    public let valueRotation: Int
    let k: UnsafeMutableRawPointer
    let v: UnsafeMutableRawPointer
    /// [headDim] one head row being rotated before it is quantized.
    private let rotated: UnsafeMutablePointer<Float>
    /// Positions filled.
    public internal(set) var count = 0

    /// Room for `capacity` positions of `kvHeads` heads of `headDim` values per layer (for q8_0/q4_0
    /// headDim must be a multiple of 32, `KVCacheType.supports`). A quantized cache rotates its
    /// rows as llama.cpp does (see the file header) unless `rotate` is false.
    public init(layers: Int, capacity: Int, kvHeads: Int, headDim: Int, type: KVCacheType = .f16, rotate: Bool = true) {
        precondition(layers > 0 && capacity > 0 && kvHeads > 0 && type.supports(headDim: headDim), "KVCache: bad shape")
        self.layers = layers
        self.capacity = capacity
        self.kvHeads = kvHeads
        self.headDim = headDim
        self.type = type
        headBytes = type.rowBytes(headDim)
        (keyRotation, valueRotation) = rotate ? type.rotation(headDim: headDim) : (0, 0)
        rotated = .allocate(capacity: headDim)
        let bytes = layers * kvHeads * capacity * headBytes
        k = .allocate(byteCount: bytes, alignment: 64)
        v = .allocate(byteCount: bytes, alignment: 64)
        k.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        v.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
    }

    deinit {
        k.deallocate()
        v.deallocate()
        rotated.deallocate()
    }

    /// Bytes held by keys and values together.
    public var byteCount: Int { 2 * layers * kvHeads * capacity * headBytes }

    /// Keeps the first `n` positions.
    public func truncate(to n: Int) {
        count = max(0, min(count, n))
    }

    /// Byte offset of (layer, KV head, position).
    @inline(__always)
    func offset(_ layer: Int, _ head: Int, _ position: Int) -> Int { ((layer * kvHeads + head) * capacity + position) * headBytes }

    /// Writes `rows` rows of keys and values (f32, [rows, kvHeads · headDim]) at positions
    /// `position…` of `layer`.
    func store(layer: Int, position: Int, rows: Int, keys: UnsafePointer<Float>, values: UnsafePointer<Float>) {
        precondition(position + rows <= capacity)
        for h in 0..<kvHeads {
            for r in 0..<rows {
                let x = r * rowWidth + h * headDim, at = offset(layer, h, position + r)
                write(keys + x, to: k + at, rotation: keyRotation)
                write(values + x, to: v + at, rotation: valueRotation)
            }
        }
    }

    /// Converts one head row (`headDim` f32 values) into `type` at `out`, rotated first by
    /// `rotation` (0: not).
    private func write(_ x: UnsafePointer<Float>, to out: UnsafeMutableRawPointer, rotation: Int) {
        var x = x
        if rotation > 0 {
            rotated.update(from: x, count: headDim)
            Ops.hadamard(rotated, count: headDim, block: rotation)
            x = UnsafePointer(rotated)
        }
        switch type {
        case .f32: out.assumingMemoryBound(to: Float.self).update(from: x, count: headDim)
        case .f16:
            FloatRows.convertToF16(x, count: headDim, into: out.assumingMemoryBound(to: Float16.self))
        case .q8_0: Q8_0.quantize(x, count: headDim, into: out)
        case .q4_0: Q4_0.quantize(x, count: headDim, into: out)
        }
    }

    /// Widens one head row of `type` at `p` to `headDim` f32 values, rotated back by `rotation` (0: not).
    private func read(_ p: UnsafeRawPointer, into out: UnsafeMutablePointer<Float>, rotation: Int) {
        switch type {
        case .f32: out.update(from: p.assumingMemoryBound(to: Float.self), count: headDim)
        case .f16:
            FloatRows.convertFromF16(p.assumingMemoryBound(to: Float16.self), count: headDim, into: out)
        case .q8_0: Q8_0.dequantize(p, count: headDim, into: out)
        case .q4_0: Q4_0.dequantize(p, count: headDim, into: out)
        }
        if rotation > 0 { Ops.hadamard(out, count: headDim, block: rotation) }
    }

    /// Causal attention of `q` against this layer's cached rows (see Ops.attention) for `heads` ×
    /// `tokens`. A rotated cache rotates those query rows in place first (q is spent afterwards) and
    /// those output rows back after.
    func attention(layer: Int, q: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>, shape: AttentionShape,
                   heads: Range<Int>, tokens: Range<Int>? = nil, scratch: UnsafeMutablePointer<Float>, scratchCount: Int) {
        precondition(shape.nKVHead == kvHeads && shape.headDim == headDim && shape.nKV <= capacity, "attention: shape \(shape) of another cache")
        let at = offset(layer, 0, 0), tokens = tokens ?? 0..<shape.nTokens
        func rotate(_ x: UnsafeMutablePointer<Float>, _ block: Int) {
            for t in tokens { Ops.hadamard(x + (t * shape.nHead + heads.lowerBound) * headDim, count: heads.count * headDim, block: block) }
        }
        if keyRotation > 0 { rotate(q, keyRotation) }
        Ops.attention(q: q, kCache: UnsafeRawPointer(k + at), vCache: UnsafeRawPointer(v + at), type: type.ggmlType,
                      out: out, shape: shape, heads: heads, tokens: tokens, scratch: scratch, scratchCount: scratchCount,
                      kernel: attentionKernel, layout: KVLayout(positionStride: headBytes, headStride: capacity * headBytes))
        if valueRotation > 0 { rotate(out, valueRotation) }
    }

    /// Drops positions keep..<keep+discard of every layer and moves the later rows down; the caller
    /// re-rotates the moved keys (their RoPE angle is for the old position).
    func removeRows(keep: Int, discard: Int) {
        precondition(keep >= 0 && discard >= 0 && keep + discard <= count)
        let moved = count - keep - discard
        for layer in 0..<layers {
            for h in 0..<kvHeads {
                let to = offset(layer, h, keep), from = offset(layer, h, keep + discard)
                (k + to).copyMemory(from: k + from, byteCount: moved * headBytes)
                (v + to).copyMemory(from: v + from, byteCount: moved * headBytes)
            }
        }
        count = keep + moved
    }

    /// Applies `body` to the keys of `layer` at positions `range`, as f32 [range.count, kvHeads ·
    /// headDim] (rotated back), writing back what it leaves in the buffer (converted to `type`,
    /// rotated again).
    func updateKeys(layer: Int, positions range: Range<Int>, _ body: (UnsafeMutablePointer<Float>) -> Void) {
        let buf = UnsafeMutablePointer<Float>.allocate(capacity: max(range.count * rowWidth, 1))
        defer { buf.deallocate() }
        for (r, p) in range.enumerated() {
            for h in 0..<kvHeads { read(k + offset(layer, h, p), into: buf + r * rowWidth + h * headDim, rotation: keyRotation) }
        }
        body(buf)
        for (r, p) in range.enumerated() {
            for h in 0..<kvHeads { write(buf + r * rowWidth + h * headDim, to: k + offset(layer, h, p), rotation: keyRotation) }
        }
    }

    /// A copy of the first `count` positions (default: all filled) as stored — rotated, quantized —
    /// for `restore` into a cache of the same shape and type (the engine's prompt cache).
    public func snapshot(count n: Int? = nil) -> KVSnapshot {
        let n = max(0, min(n ?? count, count))
        let snap = KVSnapshot(positions: n, layers: layers, kvHeads: kvHeads, headBytes: headBytes, type: type,
                              rotation: keyRotation * 1_000 + valueRotation)
        let run = n * headBytes
        for layer in 0..<layers {
            for h in 0..<kvHeads {
                let i = (layer * kvHeads + h) * run, at = offset(layer, h, 0)
                (snap.k + i).copyMemory(from: k + at, byteCount: run)
                (snap.v + i).copyMemory(from: v + at, byteCount: run)
            }
        }
        return snap
    }

    /// Whether `snapshot` was taken from a cache of this shape and type (and fits its capacity).
    public func accepts(_ snapshot: KVSnapshot) -> Bool {
        snapshot.layers == layers && snapshot.kvHeads == kvHeads && snapshot.headBytes == headBytes && snapshot.type == type
            && snapshot.rotation == keyRotation * 1_000 + valueRotation && snapshot.positions <= capacity
    }

    /// Replaces the cache's contents with the first `positions` positions of `snapshot` (default: all
    /// of it); the cache must `accept` it.
    public func restore(_ snapshot: KVSnapshot, positions: Int? = nil) {
        precondition(accepts(snapshot), "KVCache.restore: a snapshot of another cache shape")
        let n = max(0, min(positions ?? snapshot.positions, snapshot.positions)), run = snapshot.positions * headBytes
        for layer in 0..<layers {
            for h in 0..<kvHeads {
                let i = (layer * kvHeads + h) * run, at = offset(layer, h, 0)
                (k + at).copyMemory(from: snapshot.k + i, byteCount: n * headBytes)
                (v + at).copyMemory(from: snapshot.v + i, byteCount: n * headBytes)
            }
        }
        count = n
    }

    /// One cached row (keys or values, every head) of `layer` at `position`, widened to f32 and
    /// rotated back (for tests and tools).
    public func row(keys: Bool, layer: Int, position: Int) -> [Float] {
        precondition(layer < layers && position < count)
        var out = [Float](repeating: 0, count: rowWidth)
        out.withUnsafeMutableBufferPointer { buffer in
            guard let base = buffer.baseAddress else { return }
            for h in 0..<kvHeads {
                read((keys ? k : v) + offset(layer, h, position), into: base + h * headDim, rotation: keys ? keyRotation : valueRotation)
            }
        }
        return out
    }

    /// The stored bytes of one row (keys or values, every head in order) of `layer` at `position`
    /// (for tests; rotated rows as stored).
    public func rawRow(keys: Bool, layer: Int, position: Int) -> [UInt8] {
        precondition(layer < layers && position < count)
        return (0..<kvHeads).flatMap { h in
            Array(UnsafeRawBufferPointer(start: (keys ? k : v) + offset(layer, h, position), count: headBytes))
        }
    }
}

/// Stored keys and values of a cache's first `positions` positions (`KVCache.snapshot`):
///   k, v: [layers, kvHeads, positions, headBytes] bytes, as the cache stores them.
public final class KVSnapshot: @unchecked Sendable {
    public let positions: Int
    let layers: Int, kvHeads: Int, headBytes: Int
    let type: KVCacheType
    /// The cache's key and value rotation widths (1000·key + value): rows are only valid in a cache
    /// that rotates them the same way.
    let rotation: Int
    let k: UnsafeMutableRawPointer
    let v: UnsafeMutableRawPointer

    init(positions: Int, layers: Int, kvHeads: Int, headBytes: Int, type: KVCacheType, rotation: Int) {
        self.positions = positions
        self.layers = layers
        self.kvHeads = kvHeads
        self.headBytes = headBytes
        self.type = type
        self.rotation = rotation
        let half = max(1, layers * kvHeads * positions * headBytes)
        k = .allocate(byteCount: half, alignment: 64)
        v = .allocate(byteCount: half, alignment: 64)
    }

    deinit {
        k.deallocate()
        v.deallocate()
    }

    /// Bytes held (keys and values).
    public var byteCount: Int { 2 * layers * kvHeads * positions * headBytes }
}
