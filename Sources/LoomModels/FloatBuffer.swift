// FloatBuffer: an owned, 64-byte-aligned run of floats that a forward pass reads and writes
// through its pointer (no `withUnsafe…` nesting, no copy-on-write checks in the hot path).
// Weights vectors (norm gains, biases) and run-state buffers are FloatBuffers.

/// An owned float buffer of fixed size, zero-initialized.
public final class FloatBuffer: @unchecked Sendable {
    /// The first element; valid for `count` elements while the buffer is alive.
    public let base: UnsafeMutablePointer<Float>
    public let count: Int

    /// `count` zeros.
    public init(count: Int) {
        self.count = count
        let raw = UnsafeMutableRawPointer.allocate(byteCount: max(count, 1) * 4, alignment: 64)
        base = raw.bindMemory(to: Float.self, capacity: max(count, 1))
        base.initialize(repeating: 0, count: max(count, 1))
    }

    /// A copy of `values`.
    public convenience init(_ values: [Float]) {
        self.init(count: values.count)
        values.withUnsafeBufferPointer { p in
            if let src = p.baseAddress { base.update(from: src, count: values.count) }
        }
    }

    deinit { base.deallocate() }

    /// The elements as an array (for results and tests).
    public func array(from start: Int = 0, count n: Int) -> [Float] {
        precondition(start >= 0 && n >= 0 && start + n <= count)
        return Array(UnsafeBufferPointer(start: base + start, count: n))
    }

    /// Bytes held.
    public var byteCount: Int { count * 4 }
}
