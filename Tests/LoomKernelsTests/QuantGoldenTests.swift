// Quantize → bytes and bytes → dequantize, bit for bit against gguf.quants (ggml's reference
// quantizers), Fixtures/kernels/quant-goldens.json made by Scripts/make_quant_goldens.py.

import Testing
import LoomTensor
@testable import LoomKernels

@Suite("quantization goldens (gguf.quants)")
struct QuantGoldenTests {
    nonisolated(unsafe) static let golden = try? KernelFixtures.json("kernels/quant-goldens.json")

    static func input() throws -> [[Float]] {
        let g = try #require(golden)
        let rows = try #require(g["input_f32_hex"] as? [[String]])
        return rows.map { KernelFixtures.floats(hexBits: $0) }
    }

    @Test("quantize matches gguf.quants byte for byte", arguments: ["Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "F16", "BF16"])
    func quantize(_ name: String) throws {
        let types = try #require(Self.golden?["types"] as? [String: Any])
        let entry = try #require(types[name] as? [String: Any])
        let expected = try #require(entry["bytes_hex"] as? [String]).map(KernelFixtures.bytes(hex:))
        let type = try #require(GGMLType(name: name))
        for (i, row) in try Self.input().enumerated() {
            let ours = quantizeRows(row, rows: 1, cols: row.count, type: type)
            #expect(ours == expected[i], "\(name) row \(i): first difference at byte \(zip(ours, expected[i]).enumerated().first { $0.1.0 != $0.1.1 }?.offset ?? -1)")
        }
    }

    @Test("dequantize matches gguf.quants bit for bit", arguments: ["Q4_0", "Q4_1", "Q5_0", "Q5_1", "Q8_0", "F16", "BF16"])
    func dequantize(_ name: String) throws {
        let types = try #require(Self.golden?["types"] as? [String: Any])
        let entry = try #require(types[name] as? [String: Any])
        let bytes = try #require(entry["bytes_hex"] as? [String]).map(KernelFixtures.bytes(hex:))
        let expected = try #require(entry["dequantized_f32_hex"] as? [[String]]).map(KernelFixtures.floats(hexBits:))
        let type = try #require(GGMLType(name: name))
        for (i, row) in bytes.enumerated() {
            let n = expected[i].count
            var out = [Float](repeating: .nan, count: n)
            row.withUnsafeBytes { src in
                out.withUnsafeMutableBufferPointer { dst in
                    try? Dequantize.row(type, src.baseAddress!, count: n, into: dst.baseAddress!)
                }
            }
            #expect(out.map(\.bitPattern) == expected[i].map(\.bitPattern), "\(name) row \(i)")
        }
    }

    @Test("Q8_1 follows ggml's quantize_row_q8_1_ref: d = amax/127, q = roundf(x/d), s = fp16(d·Σq)")
    func q8_1() throws {
        var rng = KernelRNG(11)
        let x = rng.floats(96)
        var blocks = [UInt8](repeating: 0, count: 3 * 36)
        x.withUnsafeBufferPointer { xp in blocks.withUnsafeMutableBytes { Q8_1.quantize(xp.baseAddress!, count: 96, into: $0.baseAddress!) } }
        for b in 0..<3 {
            let v = x[b * 32..<(b + 1) * 32]
            let d = v.map(abs).max()! / 127
            let q = v.map { Int8(($0 * (1 / d)).rounded(.toNearestOrAwayFromZero)) }
            let blk = Array(blocks[b * 36..<(b + 1) * 36])
            #expect(UInt16(blk[0]) | UInt16(blk[1]) << 8 == Half.f16(from: d))
            #expect(UInt16(blk[2]) | UInt16(blk[3]) << 8 == Half.f16(from: Float(q.reduce(0) { $0 + Int($1) }) * d))
            #expect(blk[4...].map { Int8(bitPattern: $0) } == q)
        }
    }
}
