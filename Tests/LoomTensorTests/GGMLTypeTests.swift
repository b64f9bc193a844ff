// The traits table against gguf-py's GGMLQuantizationType and GGML_QUANT_SIZES
// (Fixtures/ggml-types.json, made by Scripts/make_fixtures.py).

import Foundation
import Testing
import LoomTensor

struct TypeGolden: Decodable {
    struct Row: Decodable { var id: UInt32, name: String, block_size: Int, bytes_per_block: Int }
    var types: [Row]
}

func fixturePath(_ name: String) -> String {
    var url = URL(fileURLWithPath: #filePath)
    for _ in 0..<3 { url.deleteLastPathComponent() }
    return url.path + "/Fixtures/" + name
}

@Suite("GGML types")
struct GGMLTypeTests {
    @Test("every type gguf-py defines, with the same name, block size and bytes per block")
    func traitsMatchReference() throws {
        let data = try Data(contentsOf: URL(fileURLWithPath: fixturePath("ggml-types.json")))
        let golden = try JSONDecoder().decode(TypeGolden.self, from: data)
        #expect(golden.types.count == GGMLType.allCases.count)
        for row in golden.types {
            let t = try #require(GGMLType(rawValue: row.id), "type id \(row.id) (\(row.name)) missing")
            #expect(t.name == row.name)
            #expect(t.blockSize == row.block_size, "\(row.name)")
            #expect(t.bytesPerBlock == row.bytes_per_block, "\(row.name)")
        }
    }

    @Test func quantizedFlag() {
        let plain: Set<GGMLType> = [.f32, .f16, .bf16, .f64, .i8, .i16, .i32, .i64]
        for t in GGMLType.allCases { #expect(t.isQuantized == !plain.contains(t), "\(t)") }
    }

    @Test func byteCounts() {
        #expect(GGMLType.q4_0.byteCount(elements: 576) == 18 * 18)
        #expect(GGMLType.q4_0.byteCount(elements: 577) == nil)
        #expect(GGMLType.q6_K.byteCount(elements: 576) == nil)
        #expect(GGMLType.f32.byteCount(elements: -1) == nil)
        #expect(GGMLType.f64.byteCount(elements: Int.max / 4) == nil)
        #expect(GGMLType.bf16.byteCount(elements: 0) == 0)
    }

    @Test func names() {
        #expect(GGMLType(name: "q4_k") == .q4_K)
        #expect(GGMLType(name: "BF16") == .bf16)
        #expect(GGMLType(name: "q4_2") == nil)
        #expect(GGMLType.iq2_xxs.description == "IQ2_XXS")
        #expect(GGMLType(rawValue: 4) == nil && GGMLType(rawValue: 31) == nil)
    }
}
