// KVCache: keys and values of every layer for the tokens seen so far, in fp16 (llama.cpp's and
// Ollama's default), f32, or ggml's q8_0 / q4_0 blocks (llama.cpp's `-ctk/-ctv q8_0`, Ollama's
// OLLAMA_KV_CACHE_TYPE).
//
//   k, v: [layers, capacity, kvHeads · headDim] of `type`, one row per position
//         (q8_0: 34 bytes per 32 values, fp16 d + 32 int8; q4_0: 18 bytes per 32, fp16 d + 16
//          bytes of nibbles, x = (q − 8)·d; a head row is whole blocks, headDim % 32 == 0)
//
// `store` converts f32 rows when they are written: f16 by rounding, q8_0/q4_0 by LoomKernels'
// reference quantizers (Blocks/Q8_0, Blocks/Q4_0 — ggml's `quantize_row_q8_0_ref` /
// `quantize_row_q4_0_ref`). Attention reads the rows as stored and dequantizes in registers
// (Ops.attention); nothing keeps a dequantized copy.
// Rotation (llama.cpp's attn_rot_k / attn_rot_v, llama-kv-cache.cpp): a quantized cache of heads
// with headDim % 64 == 0 stores H·k and H·v instead of k and v, H the orthonormal Walsh–Hadamard
// matrix (Ops.hadamard) on blocks of `keyRotation` (the largest power of 2 dividing headDim) and
// `valueRotation` (64) values. q·k = (Hq)·(Hk), so attention rotates the query rows the same way
// and rotates its output back (Σ p·Hv = H·Σ p·v; H·H = I). An outlier dimension of a head is then
// spread over the block and one scale per 32 values fits it better: on SmolLM2 Q4_0 (GPL-3, ctx 512)
// a q4_0 cache's perplexity goes from +25% over f16 without it to +6% with it (KVCacheTests), as
// llama.cpp's. So the stored blocks are llama.cpp's (up to the rotation's rounding).
// `count` positions are valid; `store` writes rows at count…; `truncate(to:)` keeps a prefix (how a
// chat's next turn reuses the common prefix of its prompt); `shift(keep:discard:)` drops positions
// keep..<keep+discard and moves the rest down (the model re-rotates the moved keys, see
// LlamaModel.shift; a quantized key is dequantized, rotated and quantized again, as llama.cpp does).

import LoomKernels
import LoomTensor

/// The element type of a KV cache.
public enum KVCacheType: String, Sendable, CaseIterable {
    case f16, f32, q8_0, q4_0

    /// The GGUF/ggml type of the stored rows.
    public var ggmlType: GGMLType {
        switch self {
        case .f16: return .f16
        case .f32: return .f32
        case .q8_0: return .q8_0
        case .q4_0: return .q4_0
        }
    }

    /// Values per block (1 for f16/f32; a head's width must be a multiple of it).
    public var blockSize: Int { ggmlType.blockSize }

    /// Bytes of a row of `values` values (a multiple of `blockSize`).
    public func rowBytes(_ values: Int) -> Int { values / ggmlType.blockSize * ggmlType.bytesPerBlock }

    /// Whether heads of `headDim` values can be stored (whole blocks).
    public func supports(headDim: Int) -> Bool { headDim > 0 && headDim % blockSize == 0 }
}

/// Per-layer key/value storage for one sequence.
public final class KVCache: @unchecked Sendable {
    public let layers: Int
    public let capacity: Int
    public let rowWidth: Int
    public let type: KVCacheType
    /// Bytes of one position's row (`rowWidth` values of `type`).
    public let rowBytes: Int
    /// The attention loop (kernel lab: `.perHead` only to measure the grouped one against it).
    public var attentionKernel: AttentionKernel = .grouped
    /// Walsh–Hadamard block width applied to stored keys (and to queries); 0 = none.
    public let keyRotation: Int
    /// Walsh–Hadamard block width applied to stored values (and back to attention outputs); 0 = none.
    public let valueRotation: Int
    let k: UnsafeMutableRawPointer
    let v: UnsafeMutableRawPointer
    /// [rowWidth] one row being rotated before it is quantized.
    private let rotated: UnsafeMutablePointer<Float>
    /// Positions filled.
    public internal(set) var count = 0

    /// Room for `capacity` positions of `rowWidth` (= kvHeads · headDim) values per layer; for
    /// q8_0/q4_0 each head's headDim must be a multiple of 32 (`KVCacheType.supports`). Given
    /// `headDim`, a quantized cache rotates its rows as llama.cpp does (see the file header) unless
    /// `rotate` is false.
    public init(layers: Int, capacity: Int, rowWidth: Int, type: KVCacheType = .f16, headDim: Int? = nil, rotate: Bool = true) {
        precondition(layers > 0 && capacity > 0 && rowWidth > 0 && rowWidth % type.blockSize == 0)
        precondition(headDim.map { $0 > 0 && rowWidth % $0 == 0 } ?? true, "KVCache: rowWidth must be whole heads")
        self.layers = layers
        self.capacity = capacity
        self.rowWidth = rowWidth
        self.type = type
        rowBytes = type.rowBytes(rowWidth)
        (keyRotation, valueRotation) = Self.rotation(type: type, headDim: rotate ? headDim : nil)
        rotated = .allocate(capacity: rowWidth)
        let bytes = layers * capacity * rowBytes
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

    /// llama.cpp's rotation blocks for a cache of `type` with heads of `headDim` (nil: none): for a
    /// quantized type and headDim % 64 == 0, keys the largest power of 2 dividing headDim, values 64.
    public static func rotation(type: KVCacheType, headDim: Int?) -> (keys: Int, values: Int) {
        guard type.ggmlType.isQuantized, let headDim, headDim % 64 == 0 else { return (0, 0) }
        var n = 64
        while headDim % (2 * n) == 0 { n *= 2 }
        return (n, 64)
    }

    /// Bytes held by keys and values together.
    public var byteCount: Int { 2 * layers * capacity * rowBytes }

    /// Keeps the first `n` positions.
    public func truncate(to n: Int) {
        count = max(0, min(count, n))
    }

    /// Byte offset of (layer, position).
    @inline(__always)
    func offset(_ layer: Int, _ position: Int) -> Int { ((layer * capacity) + position) * rowBytes }

    /// Writes `rows` rows of keys and values (f32, [rows, rowWidth]) at positions `position…` of `layer`.
    func store(layer: Int, position: Int, rows: Int, keys: UnsafePointer<Float>, values: UnsafePointer<Float>) {
        precondition(position + rows <= capacity)
        let at = offset(layer, position)
        write(keys, rows: rows, to: k + at, rotation: keyRotation)
        write(values, rows: rows, to: v + at, rotation: valueRotation)
    }

    /// Converts `rows` f32 rows [rows, rowWidth] into `type` at `out`, each rotated first by
    /// `rotation` (0: not).
    private func write(_ x: UnsafePointer<Float>, rows: Int, to out: UnsafeMutableRawPointer, rotation: Int) {
        if rotation > 0 {
            for r in 0..<rows {
                rotated.update(from: x + r * rowWidth, count: rowWidth)
                Ops.hadamard(rotated, count: rowWidth, block: rotation)
                write(rotated, rows: 1, to: out + r * rowBytes, rotation: 0)
            }
            return
        }
        let n = rows * rowWidth
        switch type {
        case .f32:
            out.assumingMemoryBound(to: Float.self).update(from: x, count: n)
        case .f16:
            let d = out.assumingMemoryBound(to: Float16.self)
            for i in 0..<n { d[i] = Float16(x[i]) }
        case .q8_0:
            for r in 0..<rows { Q8_0.quantize(x + r * rowWidth, count: rowWidth, into: out + r * rowBytes) }
        case .q4_0:
            for r in 0..<rows { Q4_0.quantize(x + r * rowWidth, count: rowWidth, into: out + r * rowBytes) }
        }
    }

    /// Widens `rows` rows of `type` at `p` to f32 [rows, rowWidth], rotated back by `rotation` (0: not).
    private func read(_ p: UnsafeRawPointer, rows: Int, into out: UnsafeMutablePointer<Float>, rotation: Int) {
        let n = rows * rowWidth
        switch type {
        case .f32: out.update(from: p.assumingMemoryBound(to: Float.self), count: n)
        case .f16:
            let s = p.assumingMemoryBound(to: Float16.self)
            for i in 0..<n { out[i] = Float(s[i]) }
        case .q8_0: Q8_0.dequantize(p, count: n, into: out)
        case .q4_0: Q4_0.dequantize(p, count: n, into: out)
        }
        if rotation > 0 { Ops.hadamard(out, count: n, block: rotation) }
    }

    /// Causal attention of `q` against this layer's cached rows (see Ops.attention) for `heads` ×
    /// `tokens`. A rotated cache rotates those query rows in place first (q is spent afterwards) and
    /// those output rows back after.
    func attention(layer: Int, q: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>, shape: AttentionShape,
                   heads: Range<Int>, tokens: Range<Int>? = nil, scratch: UnsafeMutablePointer<Float>, scratchCount: Int) {
        let at = offset(layer, 0), tokens = tokens ?? 0..<shape.nTokens, hd = shape.headDim
        func rotate(_ x: UnsafeMutablePointer<Float>, _ block: Int) {
            for t in tokens { Ops.hadamard(x + (t * shape.nHead + heads.lowerBound) * hd, count: heads.count * hd, block: block) }
        }
        if keyRotation > 0 { rotate(q, keyRotation) }
        Ops.attention(q: q, kCache: UnsafeRawPointer(k + at), vCache: UnsafeRawPointer(v + at), type: type.ggmlType,
                      out: out, shape: shape, heads: heads, tokens: tokens, scratch: scratch, scratchCount: scratchCount,
                      kernel: attentionKernel)
        if valueRotation > 0 { rotate(out, valueRotation) }
    }

    /// Drops positions keep..<keep+discard of every layer and moves the later rows down; the caller
    /// re-rotates the moved keys (their RoPE angle is for the old position).
    func removeRows(keep: Int, discard: Int) {
        precondition(keep >= 0 && discard >= 0 && keep + discard <= count)
        let moved = count - keep - discard
        for layer in 0..<layers {
            (k + offset(layer, keep)).copyMemory(from: k + offset(layer, keep + discard), byteCount: moved * rowBytes)
            (v + offset(layer, keep)).copyMemory(from: v + offset(layer, keep + discard), byteCount: moved * rowBytes)
        }
        count = keep + moved
    }

    /// Applies `body` to the keys of `layer` at positions `range`, as f32 [range.count, rowWidth],
    /// writing back what it leaves in the buffer (converted to `type` again).
    func updateKeys(layer: Int, positions range: Range<Int>, _ body: (UnsafeMutablePointer<Float>) -> Void) {
        let at = offset(layer, range.lowerBound)
        if type == .f32 {
            body((k + at).assumingMemoryBound(to: Float.self))
            return
        }
        let buf = UnsafeMutablePointer<Float>.allocate(capacity: max(range.count * rowWidth, 1))
        defer { buf.deallocate() }
        read(k + at, rows: range.count, into: buf, rotation: keyRotation)
        body(buf)
        write(buf, rows: range.count, to: k + at, rotation: keyRotation)
    }

    /// One cached row (keys or values) of `layer` at `position`, widened to f32 and rotated back
    /// (for tests and tools).
    public func row(keys: Bool, layer: Int, position: Int) -> [Float] {
        precondition(layer < layers && position < count)
        var out = [Float](repeating: 0, count: rowWidth)
        out.withUnsafeMutableBufferPointer { buffer in
            if let base = buffer.baseAddress {
                read((keys ? k : v) + offset(layer, position), rows: 1, into: base, rotation: keys ? keyRotation : valueRotation)
            }
        }
        return out
    }

    /// The stored bytes of one row (keys or values) of `layer` at `position` (for tests; rotated
    /// rows as stored).
    public func rawRow(keys: Bool, layer: Int, position: Int) -> [UInt8] {
        precondition(layer < layers && position < count)
        return Array(UnsafeRawBufferPointer(start: (keys ? k : v) + offset(layer, position), count: rowBytes))
    }
}
