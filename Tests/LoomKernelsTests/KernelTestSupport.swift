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
                switch type {
                case .q4_0: Q4_0.quantize(src, count: cols, into: dst)
                case .q4_1: Q4_1.quantize(src, count: cols, into: dst)
                case .q8_0: Q8_0.quantize(src, count: cols, into: dst)
                case .f32: dst.copyMemory(from: src, byteCount: cols * 4)
                case .f16: for i in 0..<cols { dst.storeBytes(of: Float16(src[i]).bitPattern, toByteOffset: 2 * i, as: UInt16.self) }
                case .bf16: for i in 0..<cols { dst.storeBytes(of: LoomTensor.Half.bf16(from: src[i]), toByteOffset: 2 * i, as: UInt16.self) }
                default: preconditionFailure("test helper: no quantizer for \(type)")
                }
            }
        }
    }
    return out
}
