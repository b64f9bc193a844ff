// KVCache: keys and values of every layer for the tokens seen so far, in fp16 (llama.cpp's and
// Ollama's default) or f32.
//
//   k, v: [layers, capacity, kvHeads · headDim] of `type`, one row per position
//
// `count` positions are valid; `store` writes rows at count…; `truncate(to:)` keeps a prefix (how a
// chat's next turn reuses the common prefix of its prompt); `shift(keep:discard:)` drops positions
// keep..<keep+discard and moves the rest down (the model re-rotates the moved keys, see
// LlamaModel.shift).

import LoomKernels

/// The element type of a KV cache.
public enum KVCacheType: String, Sendable, CaseIterable {
    case f16, f32

    /// Bytes per element.
    public var size: Int { self == .f16 ? 2 : 4 }
}

/// Per-layer key/value storage for one sequence.
public final class KVCache: @unchecked Sendable {
    public let layers: Int
    public let capacity: Int
    public let rowWidth: Int
    public let type: KVCacheType
    let k: UnsafeMutableRawPointer
    let v: UnsafeMutableRawPointer
    /// Positions filled.
    public internal(set) var count = 0

    /// Room for `capacity` positions of `rowWidth` (= kvHeads · headDim) values per layer.
    public init(layers: Int, capacity: Int, rowWidth: Int, type: KVCacheType = .f16) {
        precondition(layers > 0 && capacity > 0 && rowWidth > 0)
        self.layers = layers
        self.capacity = capacity
        self.rowWidth = rowWidth
        self.type = type
        let bytes = layers * capacity * rowWidth * type.size
        k = .allocate(byteCount: bytes, alignment: 64)
        v = .allocate(byteCount: bytes, alignment: 64)
        k.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        v.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
    }

    deinit {
        k.deallocate()
        v.deallocate()
    }

    /// Bytes held by keys and values together.
    public var byteCount: Int { 2 * layers * capacity * rowWidth * type.size }

    /// Keeps the first `n` positions.
    public func truncate(to n: Int) {
        count = max(0, min(count, n))
    }

    /// Byte offset of (layer, position).
    @inline(__always)
    func offset(_ layer: Int, _ position: Int) -> Int { ((layer * capacity) + position) * rowWidth * type.size }

    /// Writes `rows` rows of keys and values (f32, [rows, rowWidth]) at positions `position…` of `layer`.
    func store(layer: Int, position: Int, rows: Int, keys: UnsafePointer<Float>, values: UnsafePointer<Float>) {
        precondition(position + rows <= capacity)
        let n = rows * rowWidth, at = offset(layer, position)
        switch type {
        case .f32:
            (k + at).assumingMemoryBound(to: Float.self).update(from: keys, count: n)
            (v + at).assumingMemoryBound(to: Float.self).update(from: values, count: n)
        case .f16:
            let kd = (k + at).assumingMemoryBound(to: Float16.self), vd = (v + at).assumingMemoryBound(to: Float16.self)
            for i in 0..<n {
                kd[i] = Float16(keys[i])
                vd[i] = Float16(values[i])
            }
        }
    }

    /// Causal attention of `q` against this layer's cached rows (see Ops.attention).
    func attention(layer: Int, q: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, shape: AttentionShape,
                   heads: Range<Int>, tokens: Range<Int>? = nil, scratch: UnsafeMutablePointer<Float>, scratchCount: Int) {
        let at = offset(layer, 0)
        switch type {
        case .f32:
            Ops.attention(q: q, kCache: UnsafePointer((k + at).assumingMemoryBound(to: Float.self)),
                          vCache: UnsafePointer((v + at).assumingMemoryBound(to: Float.self)),
                          out: out, shape: shape, heads: heads, tokens: tokens, scratch: scratch, scratchCount: scratchCount)
        case .f16:
            Ops.attention(q: q, kCache: UnsafePointer((k + at).assumingMemoryBound(to: Float16.self)),
                          vCache: UnsafePointer((v + at).assumingMemoryBound(to: Float16.self)),
                          out: out, shape: shape, heads: heads, tokens: tokens, scratch: scratch, scratchCount: scratchCount)
        }
    }

    /// Drops positions keep..<keep+discard of every layer and moves the later rows down; the caller
    /// re-rotates the moved keys (their RoPE angle is for the old position).
    func removeRows(keep: Int, discard: Int) {
        precondition(keep >= 0 && discard >= 0 && keep + discard <= count)
        let moved = count - keep - discard
        for layer in 0..<layers {
            let rowBytes = rowWidth * type.size
            (k + offset(layer, keep)).copyMemory(from: k + offset(layer, keep + discard), byteCount: moved * rowBytes)
            (v + offset(layer, keep)).copyMemory(from: v + offset(layer, keep + discard), byteCount: moved * rowBytes)
        }
        count = keep + moved
    }

    /// Applies `body` to the keys of `layer` at positions `range`, as f32 [range.count, rowWidth],
    /// writing back what it leaves in the buffer.
    func updateKeys(layer: Int, positions range: Range<Int>, _ body: (UnsafeMutablePointer<Float>) -> Void) {
        let n = range.count * rowWidth, at = offset(layer, range.lowerBound)
        switch type {
        case .f32:
            body((k + at).assumingMemoryBound(to: Float.self))
        case .f16:
            let p = (k + at).assumingMemoryBound(to: Float16.self)
            let buf = UnsafeMutablePointer<Float>.allocate(capacity: max(n, 1))
            defer { buf.deallocate() }
            for i in 0..<n { buf[i] = Float(p[i]) }
            body(buf)
            for i in 0..<n { p[i] = Float16(buf[i]) }
        }
    }

    /// One cached row (keys or values) of `layer` at `position`, widened to f32 (for tests and tools).
    public func row(keys: Bool, layer: Int, position: Int) -> [Float] {
        precondition(layer < layers && position < count)
        let base = (keys ? k : v) + offset(layer, position)
        switch type {
        case .f32: return Array(UnsafeBufferPointer(start: base.assumingMemoryBound(to: Float.self), count: rowWidth))
        case .f16: return UnsafeBufferPointer(start: base.assumingMemoryBound(to: Float16.self), count: rowWidth).map { Float($0) }
        }
    }
}
