// Typed metadata accessors: exact integer conversion across stored widths, typed errors that name
// the key, and the IfPresent forms.

import Testing
@testable import LoomGGUF

@Suite("GGUF metadata accessors")
struct AccessorTests {
    let m: GGUFMetadata = [
        "ctx": .uint64(8192), "neg": .int32(-1), "big": .uint64(.max), "eps": .float32(1e-5),
        "theta": .float64(10000), "name": .string("smollm2"), "flag": .bool(true),
        "tokens": .array(.string(["a", "b"])), "types": .array(.int32([1, 3])), "scores": .array(.float32([0.5])),
    ]

    @Test func integers() throws {
        #expect(try m.uint32("ctx") == 8192)
        #expect(try m.int("ctx") == 8192)
        #expect(try m.int32("neg") == -1)
        #expect(throws: GGUFError.valueOutOfRange(key: "neg", value: "int32(-1)", target: "UInt32")) { try m.uint32("neg") }
        #expect(throws: GGUFError.valueOutOfRange(key: "big", value: "uint64(18446744073709551615)", target: "Int")) { try m.int("big") }
        #expect(throws: GGUFError.typeMismatch(key: "name", expected: "an integer", found: "string")) { try m.uint32("name") }
        #expect(throws: GGUFError.missingKey("llama.block_count")) { try m.uint32("llama.block_count") }
        #expect(try m.integerIfPresent("absent", as: UInt32.self) == nil)
        #expect(try m.integers("types", as: Int.self) == [1, 3])
        #expect(throws: GGUFError.typeMismatch(key: "tokens", expected: "[integer]", found: "[string × 2]")) { try m.integers("tokens", as: Int.self) }
    }

    @Test func others() throws {
        #expect(try m.float("eps") == Float(1e-5))
        #expect(try m.float("theta") == 10000)
        #expect(try m.floatIfPresent("absent") == nil)
        #expect(try m.string("name") == "smollm2")
        #expect(try m.stringIfPresent("absent") == nil)
        #expect(try m.bool("flag"))
        #expect(try m.boolIfPresent("absent") == nil)
        #expect(try m.strings("tokens") == ["a", "b"])
        #expect(try m.floats("scores") == [0.5])
        #expect(throws: GGUFError.typeMismatch(key: "flag", expected: "string", found: "bool")) { try m.string("flag") }
        #expect(throws: GGUFError.typeMismatch(key: "types", expected: "[string]", found: "[int32 × 2]")) { try m.strings("types") }
        #expect(throws: GGUFError.typeMismatch(key: "name", expected: "a float", found: "string")) { try m.float("name") }
    }

    @Test func orderedEditing() {
        var e = m
        e["ctx"] = .uint32(4096)
        e["new"] = .bool(false)
        e["neg"] = nil
        #expect(e.keys == ["ctx", "big", "eps", "theta", "name", "flag", "tokens", "types", "scores", "new"])
        #expect(e["ctx"] == .uint32(4096) && e["neg"] == nil && e["new"] == .bool(false))
    }
}
