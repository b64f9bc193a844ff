// K-quants, bit for bit: quantize against llama.cpp's own quantizer (ggml_quantize_chunk without an
// imatrix, i.e. quantize_row_q*_K_ref) and dequantize against gguf.quants, on rows with awkward
// content (zero, constant, tiny, huge, outliers, mixed sub-block scales, ties);
// Fixtures/kernels/kquant-goldens.json made by Scripts/make_kquant_goldens.py.

import Testing
import LoomTensor
@testable import LoomKernels

@Suite("K-quant goldens (llama.cpp quantizer, gguf.quants)")
struct KQuantGoldenTests {
    nonisolated(unsafe) static let golden = try? KernelFixtures.json("kernels/kquant-goldens.json")
    static let types = ["Q4_K", "Q5_K", "Q6_K", "Q3_K", "Q2_K"]

    static func input() throws -> [[Float]] {
        let rows = try #require(golden?["input_f32_hex"] as? [[String]])
        return rows.map { KernelFixtures.floats(hexBits: $0) }
    }

    static func entry(_ name: String) throws -> [String: Any] {
        let types = try #require(golden?["types"] as? [String: Any])
        return try #require(types[name] as? [String: Any])
    }

    @Test("quantize matches llama.cpp byte for byte", arguments: types)
    func quantize(_ name: String) throws {
        let expected = try #require(Self.entry(name)["bytes_hex"] as? [String]).map(KernelFixtures.bytes(hex:))
        let type = try #require(GGMLType(name: name))
        let input = try Self.input()
        #expect(input.count == expected.count && input.count >= 10)
        for (i, row) in input.enumerated() {
            let ours = quantizeRows(row, rows: 1, cols: row.count, type: type)
            #expect(ours == expected[i], "\(name) row \(i): first difference at byte \(zip(ours, expected[i]).enumerated().first { $0.1.0 != $0.1.1 }?.offset ?? -1)")
        }
    }

    @Test("dequantize matches gguf.quants bit for bit", arguments: types)
    func dequantize(_ name: String) throws {
        let entry = try Self.entry(name)
        let bytes = try #require(entry["bytes_hex"] as? [String]).map(KernelFixtures.bytes(hex:))
        let expected = try #require(entry["dequantized_f32_hex"] as? [[String]]).map(KernelFixtures.floats(hexBits:))
        let type = try #require(GGMLType(name: name))
        for (i, row) in bytes.enumerated() {
            let n = expected[i].count
            var out = [Float](repeating: .nan, count: n)
            try row.withUnsafeBytes { src in
                try out.withUnsafeMutableBufferPointer { dst in try Dequantize.row(type, src.baseAddress!, count: n, into: dst.baseAddress!) }
            }
            #expect(out.map(\.bitPattern) == expected[i].map(\.bitPattern), "\(name) row \(i)")
        }
    }
}
