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
    static let types = ["IQ4_NL", "Q3_K", "Q2_K"]

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
    func gemv(_ type: GGMLType) throws { for path in KernelPath.supported { try GEMVTests().quantized(type, path) } }

    @Test("MatMul: own kernels (GEMV, int8 GEMM), OpenBLAS and auto; 1, 2, 3 threads", arguments: [GGMLType.iq4_nl])
    func matmul(_ type: GGMLType) throws { for path in KernelPath.supported { try MatMulTests().paths(type, path) } }

    @Test("type table row: block layout, quantize extent, interleaved8 records", arguments: [GGMLType.iq4_nl])
    func table(_ type: GGMLType) throws {
        let format = try #require(TypeTable.format(type))
        #expect(format.type == type && format.blockSize == 32 && format.bytesPerBlock == 18)
        try TypeTableTests().quantizeExtent(type)
        try TypeTableTests().records(type)
    }

    @Test("Q3_K, Q2_K rows: ggml's block sizes, whole super-blocks written, kept rowMajor on every build",
          arguments: [(GGMLType.q3_K, 110), (.q2_K, 84)])
    func superBlockRows(_ type: GGMLType, _ bytes: Int) throws {
        let format = try #require(TypeTable.int8(type))
        #expect(format.type == type && format.blockSize == 256 && format.bytesPerBlock == bytes)
        var rng = KernelRNG(UInt64(type.rawValue) + 300)
        let x = rng.floats(512)
        var out = [UInt8](repeating: 0xA5, count: 2 * bytes + 16)
        x.withUnsafeBufferPointer { xp in out.withUnsafeMutableBytes { format.quantize(xp.baseAddress!, count: 512, into: $0.baseAddress!) } }
        #expect(out[(2 * bytes)...].allSatisfy { $0 == 0xA5 })
        #expect(!TypeTable.interleaves(type) && PackedMatrix.preferredLayout(for: type) == .rowMajor)
        let m = try quantizeRows(rng.floats(16 * 256), rows: 16, cols: 256, type: type).withUnsafeBytes {
            try PackedMatrix(type: type, rows: 16, cols: 256, bytes: $0, layout: .interleaved8)
        }
        #expect(m.layout == .rowMajor)
    }

    /// Σ_j deq(w)_j · d_a·q_j in Double, and Σ|terms|, for one row.
    static func reference(_ row: UnsafeRawPointer, type: GGMLType, cols: Int, _ a: Q8Row) throws -> (Double, Double) {
        var deq = [Float](repeating: 0, count: cols)
        try deq.withUnsafeMutableBufferPointer { try Dequantize.row(type, row, count: cols, into: $0.baseAddress!) }
        var ref = 0.0, mag = 0.0
        for j in 0..<cols { let t = Double(deq[j]) * Double(a.q[j]) * Double(a.d[j / 32]); ref += t; mag += abs(t) }
        return (ref, mag)
    }

    @Test("Q3_K, Q2_K: reference dot and GEMV (any row split) equal Σ dequantized weights × quantized activations",
          arguments: [GGMLType.q3_K, .q2_K])
    func superBlockGEMV(_ type: GGMLType) throws {
        var rng = KernelRNG(UInt64(type.rawValue) &* 977)
        for (rows, cols) in [(1, 256), (7, 512), (9, 768), (16, 256), (13, 1536)] {
            let wbytes = quantizeRows(rng.floats(rows * cols, scale: 0.5), rows: rows, cols: cols, type: type)
            let act = Q8Activations(k: cols, capacity: 1)
            rng.floats(cols, scale: 2).withUnsafeBufferPointer { act.quantize($0.baseAddress!, rows: 0..<1) }
            let a = act.row(0)
            let m = try wbytes.withUnsafeBytes { try PackedMatrix(type: type, rows: rows, cols: cols, bytes: $0) }
            var out = [Float](repeating: .nan, count: rows), split = out
            out.withUnsafeMutableBufferPointer { GEMV.quantized(m, a, $0.baseAddress!, rows: 0..<rows) }
            split.withUnsafeMutableBufferPointer { o in
                for r in 0..<rows { GEMV.quantized(m, a, o.baseAddress!, rows: r..<r + 1) }
            }
            #expect(split.map(\.bitPattern) == out.map(\.bitPattern), "\(type) \(rows)×\(cols)")
            for r in 0..<rows {
                let (ref, mag) = try wbytes.withUnsafeBytes { try Self.reference($0.baseAddress! + r * m.rowBytes, type: type, cols: cols, a) }
                #expect(abs(Double(out[r]) - ref) <= 1e-5 * mag + 1e-30, "\(type) \(rows)×\(cols) row \(r): \(out[r]) vs \(ref)")
            }
        }
    }

    @Test("Q3_K, Q2_K MatMul: own kernels, OpenBLAS and auto match a Double reference; 1, 2, 3 threads give the same bits",
          arguments: [GGMLType.q3_K, .q2_K])
    func superBlockMatMul(_ type: GGMLType) throws {
        var rng = KernelRNG(UInt64(type.rawValue) &* 31 &+ 7)
        for (rows, cols) in [(8, 256), (13, 512), (67, 256)] {
            let wbytes = quantizeRows(rng.floats(rows * cols), rows: rows, cols: cols, type: type)
            let m = try wbytes.withUnsafeBytes { try PackedMatrix(type: type, rows: rows, cols: cols, bytes: $0) }
            for tokens in [1, 4, 9, 33] { for path in [MatMulPath.ownKernels, .openBLAS, .auto] {
                let x = rng.floats(tokens * cols)
                let int8 = !MatMul.usesBLAS(type, tokens: tokens, path: path, layout: m.layout)
                let ref = MatMulTests.reference(wbytes, type: type, rows: rows, cols: cols, x: x, tokens: tokens, int8: int8)
                let one = MatMulTests.run(m, x: x, tokens: tokens, threads: 1, path: path)
                let tolerance = 2e-5 * (ref.map(abs).max() ?? 1) * Double(cols).squareRoot() + 1e-6
                let bad = (0..<ref.count).filter { abs(Double(one[$0]) - ref[$0]) > tolerance }
                #expect(bad.isEmpty, "\(type) \(path) \(rows)×\(cols) tokens \(tokens): \(bad.count) outputs off")
                for threads in [2, 3] {
                    let other = MatMulTests.run(m, x: x, tokens: tokens, threads: threads, path: path)
                    #expect(zip(other, one).allSatisfy { $0.bitPattern == $1.bitPattern }, "\(type) \(path) tokens \(tokens), \(threads) threads")
                }
            } }
        }
    }
}
