// Shared helpers for the kernel tests: a seeded RNG, fixture paths, aligned buffers, hex decoding.

import Foundation
import LoomTensor
@testable import LoomKernels

/// SplitMix64 with helpers for test data.
struct KernelRNG: RandomNumberGenerator {
    var state: UInt64
    init(_ seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Roughly normal floats (sum of uniforms), scaled.
    mutating func floats(_ n: Int, scale: Float = 1) -> [Float] {
        (0..<n).map { _ in (Float.random(in: -1...1, using: &self) + Float.random(in: -1...1, using: &self)
                            + Float.random(in: -1...1, using: &self)) * scale }
    }
}

enum KernelFixtures {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static func json(_ relative: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: root + "/Fixtures/" + relative))
        return try JSONSerialization.jsonObject(with: data) as? [String: Any] ?? [:]
    }

    static func bytes(hex: String) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(hex.count / 2)
        var it = hex.utf8.makeIterator()
        func nib(_ c: UInt8) -> UInt8 { c <= 57 ? c - 48 : (c | 0x20) - 87 }
        while let hi = it.next(), let lo = it.next() { out.append(nib(hi) << 4 | nib(lo)) }
        return out
    }

    static func floats(hexBits: [String]) -> [Float] {
        hexBits.map { Float(bitPattern: UInt32($0, radix: 16) ?? 0) }
    }
}

/// Quantizes `w` ([rows, cols] f32) to `type` with the reference quantizers (GGUF row bytes).
func quantizeRows(_ w: [Float], rows: Int, cols: Int, type: GGMLType) -> [UInt8] {
    let rowBytes = type.byteCount(elements: cols)!
    var out = [UInt8](repeating: 0, count: rows * rowBytes)
    w.withUnsafeBufferPointer { x in
        out.withUnsafeMutableBytes { o in
            for r in 0..<rows {
                let src = x.baseAddress! + r * cols, dst = o.baseAddress! + r * rowBytes
                guard let format = TypeTable.format(type) else { preconditionFailure("test helper: no quantizer for \(type)") }
                format.quantize(src, count: cols, into: dst)
            }
        }
    }
    return out
}
