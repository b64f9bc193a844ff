// IQ4_NL, Q3_K and Q2_K against llama.cpp and gguf.quants (Fixtures/kernels/iq-goldens.json, made
// by Scripts/make_iquant_goldens.py): quantize byte for byte as llama-quantize does without an
// importance matrix, dequantize bit for bit as gguf.quants; and the kernels of these types through
// the shared GEMV / MatMul / type-table checks (reference dot, interleaved8 AVX2 GEMV and GEMM on
// odd shapes, 1–3 threads).

import Testing
import LoomTensor
@testable import LoomKernels

@Suite("IQ4_NL, Q3_K, Q2_K (llama.cpp goldens)")
struct IQuantTests {
    nonisolated(unsafe) static let golden = try? KernelFixtures.json("kernels/iq-goldens.json")
    static let types = ["IQ4_NL"]

    static func entry(_ name: String) throws -> (input: [[Float]], bytes: [[UInt8]], floats: [[Float]]) {
        let g = try #require(golden)
        let input = try #require(g["input_f32_hex"] as? [[String]]).map(KernelFixtures.floats(hexBits:))
        let types = try #require(g["types"] as? [String: Any])
        let e = try #require(types[name] as? [String: Any])
        return (input, try #require(e["bytes_hex"] as? [String]).map(KernelFixtures.bytes(hex:)),
                try #require(e["dequantized_f32_hex"] as? [[String]]).map(KernelFixtures.floats(hexBits:)))
    }

    @Test("quantize matches llama.cpp (ggml_quantize_chunk, no imatrix) byte for byte", arguments: types)
    func quantize(_ name: String) throws {
        let (input, expected, _) = try Self.entry(name)
        let type = try #require(GGMLType(name: name))
        #expect(input.count == expected.count && input.count >= 10)
        for (i, row) in input.enumerated() {
            let ours = quantizeRows(row, rows: 1, cols: row.count, type: type)
            let first = zip(ours, expected[i]).enumerated().first { $0.1.0 != $0.1.1 }?.offset ?? -1
            #expect(ours == expected[i], "\(name) row \(i): first difference at byte \(first)")
        }
    }

    @Test("dequantize matches gguf.quants bit for bit", arguments: types)
    func dequantize(_ name: String) throws {
        let (_, bytes, expected) = try Self.entry(name)
        let type = try #require(GGMLType(name: name))
        for (i, row) in bytes.enumerated() {
            let n = expected[i].count
            var out = [Float](repeating: 0, count: n)
            try row.withUnsafeBytes { src in
                try out.withUnsafeMutableBufferPointer { try Dequantize.row(type, src.baseAddress!, count: n, into: $0.baseAddress!) }
            }
            #expect(out.map(\.bitPattern) == expected[i].map(\.bitPattern), "\(name) row \(i)")
        }
    }

    @Test("IQ4_NL dot: the reference dot is Σ over the dequantized weights × quantized activations")
    func referenceDot() throws {
        var rng = KernelRNG(4242)
        for cols in [32, 96, 256] {
            let w = quantizeRows(rng.floats(cols), rows: 1, cols: cols, type: .iq4_nl)
            let act = Q8Activations(k: cols, capacity: 1)
            rng.floats(cols, scale: 3).withUnsafeBufferPointer { act.quantize($0.baseAddress!, rows: 0..<1) }
            let a = act.row(0)
            var deq = [Float](repeating: 0, count: cols)
            try w.withUnsafeBytes { p in try deq.withUnsafeMutableBufferPointer { try Dequantize.row(.iq4_nl, p.baseAddress!, count: cols, into: $0.baseAddress!) } }
            var ref = 0.0, mag = 0.0
            for j in 0..<cols { let t = Double(deq[j]) * Double(a.q[j]) * Double(a.d[j / 32]); ref += t; mag += abs(t) }
            let ours = w.withUnsafeBytes { IQ4_NL.dotReference($0.baseAddress!, a, count: cols) }
            #expect(abs(Double(ours) - ref) <= 1e-5 * mag, "\(cols): \(ours) vs \(ref)")
        }
    }

    @Test("int8 GEMV (rowMajor and interleaved8) equals the reference dot on odd shapes", arguments: [GGMLType.iq4_nl])
    func gemv(_ type: GGMLType) throws { try GEMVTests().quantized(type) }

    @Test("MatMul: own kernels (GEMV, int8 GEMM), OpenBLAS and auto; 1, 2, 3 threads", arguments: [GGMLType.iq4_nl])
    func matmul(_ type: GGMLType) throws { try MatMulTests().paths(type) }

    @Test("type table row: block layout, quantize extent, interleaved8 records", arguments: [GGMLType.iq4_nl])
    func table(_ type: GGMLType) throws {
        let format = try #require(TypeTable.format(type))
        #expect(format.type == type && format.blockSize == 32 && format.bytesPerBlock == 18)
        try TypeTableTests().quantizeExtent(type)
        try TypeTableTests().records(type)
    }
}
