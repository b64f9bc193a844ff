// Binder: binds an architecture's weights by GGUF name from a WeightSource, collecting every
// problem at once (all missing tensors, the first wrong shape or unsupported type), so a model file
// that does not fit its architecture fails with one complete message. Every architecture uses it.

import LoomKernels
import LoomTensor

/// Collects tensors and every problem with them.
struct Binder {
    let source: WeightSource
    var missing: [String] = []
    var failure: ModelError?

    /// The matrix [rows, cols] named `name`; `panels` asks for `PackedMatrix.panels` (encoders).
    mutating func matrix(_ name: String, rows: Int, cols: Int, panels: Bool = false) -> PackedMatrix? {
        guard let t = source.tensor(name) else { missing.append(name); return nil }
        guard t.shape == [cols, rows] else {
            failure = failure ?? .wrongShape(tensor: name, expected: [cols, rows], found: t.shape)
            return nil
        }
        do {
            if panels { return try PackedMatrix.panels(type: t.type, rows: rows, cols: cols, bytes: t.bytes) }
            return try PackedMatrix(type: t.type, rows: rows, cols: cols, bytes: t.bytes)
        } catch {
            failure = failure ?? .unsupported(tensor: name, reason: "\(error)")
            return nil
        }
    }

    /// The matrix named `name` [Σ rows, cols] cut into consecutive row blocks of `rows` rows each
    /// (a fused matrix such as phi3's attn_qkv); nil entries when it is missing or unusable.
    mutating func rowBlocks(_ name: String, rows: [Int], cols: Int) -> [PackedMatrix?] {
        let none = [PackedMatrix?](repeating: nil, count: rows.count)
        let total = rows.reduce(0, +)
        guard let t = source.tensor(name) else { missing.append(name); return none }
        guard t.shape == [cols, total], let rowBytes = t.type.byteCount(elements: cols),
              t.bytes.count == rowBytes * total else {
            failure = failure ?? .wrongShape(tensor: name, expected: [cols, total], found: t.shape)
            return none
        }
        var blocks: [PackedMatrix?] = [], start = 0
        for n in rows {
            let bytes = UnsafeRawBufferPointer(rebasing: t.bytes[(start * rowBytes)..<((start + n) * rowBytes)])
            do {
                blocks.append(try PackedMatrix(type: t.type, rows: n, cols: cols, bytes: bytes))
            } catch {
                failure = failure ?? .unsupported(tensor: name, reason: "\(error)")
                return none
            }
            start += n
        }
        return blocks
    }

    mutating func vector(_ name: String, _ n: Int) -> [Float]? {
        guard source.tensor(name) != nil else { missing.append(name); return nil }
        return optionalVector(name, n)
    }

    /// A tensor of `n` elements with ggml shape `shape` (default [n]), dequantized to f32.
    mutating func vector(_ name: String, _ n: Int, shape: [Int]) -> [Float]? {
        guard source.tensor(name) != nil else { missing.append(name); return nil }
        return optionalVector(name, n, shape: shape)
    }

    mutating func optionalVector(_ name: String, _ n: Int, shape: [Int]? = nil) -> [Float]? {
        guard let t = source.tensor(name) else { return nil }
        let expected = shape ?? [n]
        guard t.shape == expected, let base = t.bytes.baseAddress else {
            failure = failure ?? .wrongShape(tensor: name, expected: expected, found: t.shape)
            return nil
        }
        var out = [Float](repeating: 0, count: n)
        do {
            try out.withUnsafeMutableBufferPointer { p throws(KernelError) in
                guard let dst = p.baseAddress else { return }
                try Dequantize.row(t.type, base, count: n, into: dst)
            }
        } catch {
            failure = failure ?? .unsupported(tensor: name, reason: "\(error)")
            return nil
        }
        return out
    }
}
