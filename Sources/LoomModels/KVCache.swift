// KVCache: keys and values of every layer for the tokens seen so far, in fp16 (llama.cpp's default).
//
//   k, v: [layers, capacity, kvHeads · headDim] Float16, one row per position
//
// `count` positions are valid; appending writes rows count..<count+T; `truncate(to:)` keeps a
// prefix (how a chat's next turn reuses the common prefix of its prompt).

/// Per-layer key/value storage for one sequence.
public final class KVCache: @unchecked Sendable {
    public let layers: Int
    public let capacity: Int
    public let rowWidth: Int
    let k: UnsafeMutablePointer<Float16>
    let v: UnsafeMutablePointer<Float16>
    /// Positions filled.
    public internal(set) var count = 0

    /// Room for `capacity` positions of `rowWidth` (= kvHeads · headDim) values per layer.
    public init(layers: Int, capacity: Int, rowWidth: Int) {
        precondition(layers > 0 && capacity > 0 && rowWidth > 0)
        self.layers = layers
        self.capacity = capacity
        self.rowWidth = rowWidth
        let n = layers * capacity * rowWidth
        k = .allocate(capacity: n)
        v = .allocate(capacity: n)
        k.initialize(repeating: 0, count: n)
        v.initialize(repeating: 0, count: n)
    }

    deinit {
        k.deallocate()
        v.deallocate()
    }

    /// Keeps the first `n` positions.
    public func truncate(to n: Int) {
        count = max(0, min(count, n))
    }

    func keys(layer: Int) -> UnsafeMutablePointer<Float16> { k + layer * capacity * rowWidth }
    func values(layer: Int) -> UnsafeMutablePointer<Float16> { v + layer * capacity * rowWidth }
}
