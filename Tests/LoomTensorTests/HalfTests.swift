// fp16/bf16 conversion: bit-exact with numpy (fp16) and with gguf.quants / ggml (bf16) on edge
// cases and random values (Fixtures/half-golden.json), plus exhaustive round trips.

import Foundation
import Testing
import LoomTensor

struct HalfGolden: Decodable {
    var f32_bits: [UInt32], f16_bits: [UInt16], bf16_bits: [UInt16]
}

@Suite("fp16 and bf16")
struct HalfTests {
    static let golden: HalfGolden? = {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: fixturePath("half-golden.json"))) else { return nil }
        return try? JSONDecoder().decode(HalfGolden.self, from: data)
    }()

    @Test("f32 → fp16 rounds exactly as numpy does")
    func f16MatchesNumpy() throws {
        let g = try #require(Self.golden)
        #expect(g.f32_bits.count > 700)
        for (x, h) in zip(g.f32_bits, g.f16_bits) {
            #expect(Half.f16(from: Float(bitPattern: x)) == h, "f32 0x\(String(x, radix: 16))")
        }
    }

    @Test("f32 → bf16 rounds exactly as ggml (gguf.quants) does")
    func bf16MatchesGGML() throws {
        let g = try #require(Self.golden)
        for (x, h) in zip(g.f32_bits, g.bf16_bits) {
            #expect(Half.bf16(from: Float(bitPattern: x)) == h, "f32 0x\(String(x, radix: 16))")
        }
    }

    @Test("all 65536 fp16 and bf16 patterns round-trip through f32")
    func exhaustiveRoundTrip() {
        var bad16 = 0, badBF = 0
        for bits in 0...UInt16.max {
            let h = Half.f32(fromF16: bits)
            if h.isNaN ? !Half.f32(fromF16: Half.f16(from: h)).isNaN : Half.f16(from: h) != bits { bad16 += 1 }
            let b = Half.f32(fromBF16: bits)
            if b.isNaN ? !Half.f32(fromBF16: Half.bf16(from: b)).isNaN : Half.bf16(from: b) != bits { badBF += 1 }
        }
        #expect(bad16 == 0 && badBF == 0)
    }

    @Test func nanAndSpecials() {
        let snan = Float(bitPattern: 0x7f80_0001)
        let q = Half.bf16(from: snan)
        #expect(Half.f32(fromBF16: q).isNaN && q & 0x40 != 0)
        #expect(Half.f32(fromF16: 0x3c00) == 1 && Half.f32(fromF16: 0x7bff) == 65504)
        #expect(Half.f32(fromF16: 0x0001) == Float(bitPattern: 0x3380_0000))
        #expect(Half.f16(from: 1e6) == 0x7c00 && Half.bf16(from: 1) == 0x3f80)
    }
}
