// Each validation rule, exercised by a crafted file that breaks exactly that rule, must throw its
// own typed error — and a file one step away from breaking it must still open.

import Foundation
import LoomTensor
import Testing
@testable import LoomGGUF

/// Builds raw GGUF bytes field by field, so a test can write what no valid writer would.
struct Craft {
    var enc = ByteEncoder()

    init(magic: UInt32 = 0x4655_4747, version: UInt32 = 3, tensors: UInt64, kvs: UInt64) {
        enc.u32(magic); enc.u32(version); enc.u64(tensors); enc.u64(kvs)
    }
    mutating func kv(_ key: String, _ v: GGUFValue) { enc.string(key); enc.u32(v.type.rawValue); enc.value(v) }
    mutating func tensor(_ name: String, dims: [UInt64], type: UInt32, offset: UInt64) {
        enc.string(name); enc.u32(UInt32(dims.count)); for d in dims { enc.u64(d) }
        enc.u32(type); enc.u64(offset)
    }
    /// Pads to 32 and appends `data` bytes of zeros.
    mutating func data(_ n: Int) {
        enc.zeros((32 - enc.bytes.count % 32) % 32)
        enc.zeros(n)
    }
    func parse() throws(GGUFError) -> GGUFFile { try GGUFFile(bytes: enc.bytes) }
}

@Suite("GGUF validation: typed errors")
struct MalformedTests {
    @Test func emptyAndBadMagic() {
        #expect(throws: GGUFError.truncated(what: "magic", offset: 0, needed: 4, fileSize: 0)) { try GGUFFile(bytes: []) }
        #expect(throws: GGUFError.badMagic(found: 0x4655_4746)) { try Craft(magic: 0x4655_4746, tensors: 0, kvs: 0).parse() }
    }

    @Test(arguments: [0, 1, 4, 0x0300_0000] as [UInt32])
    func unsupportedVersions(_ v: UInt32) {
        #expect(throws: GGUFError.unsupportedVersion(v)) { try Craft(version: v, tensors: 0, kvs: 0).parse() }
        #expect(GGUFError.unsupportedVersion(0x0300_0000).description.contains("big-endian"))
    }

    @Test func countsBeyondCapsOrBytes() {
        #expect(throws: GGUFError.limitExceeded(what: "tensor count", offset: 8, value: 1 << 40, limit: 1 << 20)) {
            try Craft(tensors: 1 << 40, kvs: 0).parse()
        }
        // 1000 entries need at least 13 000 bytes; the file has none.
        #expect(throws: GGUFError.truncated(what: "1000 metadata entries (at least 13 bytes each)", offset: 24, needed: 13_000, fileSize: 24)) {
            try Craft(tensors: 0, kvs: 1000).parse()
        }
        var c = Craft(tensors: 0, kvs: 1)
        c.enc.u64(UInt64.max)  // key length
        c.enc.zeros(16)
        #expect(throws: GGUFError.limitExceeded(what: "length of key of metadata entry #0", offset: 24, value: .max, limit: 65_535)) { try c.parse() }
        var d = Craft(tensors: 0, kvs: 1)
        d.enc.string("k"); d.enc.u32(GGUFValueType.array.rawValue); d.enc.u32(GGUFValueType.uint64.rawValue); d.enc.u64(1 << 25)
        #expect(throws: GGUFError.self) { try d.parse() }
    }

    @Test func stringsAndValues() {
        var c = Craft(tensors: 0, kvs: 1)
        c.enc.u64(2); c.enc.bytes += [0xC3, 0x28]  // invalid UTF-8
        c.enc.zeros(8)
        #expect(throws: GGUFError.invalidUTF8(what: "key of metadata entry #0", offset: 32)) { try c.parse() }

        var b = Craft(tensors: 0, kvs: 1)
        b.enc.string("flag"); b.enc.u32(GGUFValueType.bool.rawValue); b.enc.bytes.append(2)
        #expect(throws: GGUFError.invalidBool(what: "value of metadata 'flag'", offset: 40, byte: 2)) { try b.parse() }

        var t = Craft(tensors: 0, kvs: 1)
        t.enc.string("k"); t.enc.u32(13); t.enc.u64(0)
        #expect(throws: GGUFError.unknownValueType(what: "metadata 'k'", offset: 33, raw: 13)) { try t.parse() }

        var n = Craft(tensors: 0, kvs: 1)
        n.enc.string("deep"); n.enc.u32(GGUFValueType.array.rawValue)
        for _ in 0..<12 { n.enc.u32(GGUFValueType.array.rawValue); n.enc.u64(1) }
        n.enc.u32(GGUFValueType.uint8.rawValue); n.enc.u64(0)
        #expect(throws: GGUFError.self) { try n.parse() }
        do { _ = try n.parse() } catch { #expect(error.description.contains("deeper than 8")) }

        var dup = Craft(tensors: 0, kvs: 2)
        dup.kv("a", .uint8(1)); dup.kv("a", .uint8(2))
        #expect(throws: GGUFError.duplicateKey("a", offset: 38)) { try dup.parse() }
    }

    @Test(arguments: [GGUFValue.uint32(0), .uint32(48), .uint64(32), .string("32")])
    func badAlignment(_ v: GGUFValue) {
        var c = Craft(tensors: 0, kvs: 1)
        c.kv("general.alignment", v)
        #expect(throws: GGUFError.invalidAlignment("\(v)")) { try c.parse() }
    }

    @Test func tensorRules() throws {
        func one(_ dims: [UInt64], type: UInt32 = 0, offset: UInt64 = 0, data: Int = 64) throws(GGUFError) -> GGUFFile {
            var c = Craft(tensors: 1, kvs: 0)
            c.tensor("w", dims: dims, type: type, offset: offset)
            c.data(data)
            return try c.parse()
        }
        #expect(try one([16]).tensors[0].byteCount == 64)  // the valid neighbour
        #expect(throws: GGUFError.tooManyDimensions(tensor: "w", count: 5, limit: 4)) { try one([1, 1, 1, 1, 1]) }
        #expect(throws: GGUFError.elementCountOverflow(tensor: "w", shape: [1 << 32, 1 << 32])) { try one([1 << 32, 1 << 32]) }
        #expect(throws: GGUFError.elementCountOverflow(tensor: "w", shape: [UInt64.max])) { try one([.max]) }
        #expect(throws: GGUFError.unknownTensorType(tensor: "w", raw: 4)) { try one([16], type: 4) }
        #expect(throws: GGUFError.unknownTensorType(tensor: "w", raw: 99)) { try one([16], type: 99) }
        #expect(throws: GGUFError.rowNotBlockMultiple(tensor: "w", type: .q4_0, rowLength: 33)) { try one([33], type: 2) }
        #expect(throws: GGUFError.misalignedTensorOffset(tensor: "w", offset: 4, alignment: 32)) { try one([1], offset: 4) }
        #expect(throws: GGUFError.tensorOutOfBounds(tensor: "w", offset: 0, size: 68, dataSize: 64)) { try one([17]) }
        #expect(throws: GGUFError.tensorOutOfBounds(tensor: "w", offset: 1 << 62, size: 4, dataSize: 64)) { try one([1], offset: 1 << 62) }
        #expect(throws: GGUFError.self) { try one([16], data: 63) }
        // Bytes present but the padding after them cut off.
        #expect(throws: GGUFError.truncated(what: "padding after tensor 'w'", offset: 68, needed: 28, fileSize: 68)) { try one([1], data: 4) }
    }

    @Test func tensorsTogether() {
        var dup = Craft(tensors: 2, kvs: 0)
        dup.tensor("w", dims: [8], type: 0, offset: 0); dup.tensor("w", dims: [8], type: 0, offset: 32)
        dup.data(64)
        #expect(throws: GGUFError.duplicateTensorName("w")) { try dup.parse() }

        var overlap = Craft(tensors: 2, kvs: 0)
        overlap.tensor("a", dims: [16], type: 0, offset: 0); overlap.tensor("b", dims: [8], type: 0, offset: 32)
        overlap.data(64)
        #expect(throws: GGUFError.overlappingTensors(first: "a", second: "b")) { try overlap.parse() }
    }

    @Test func files() throws {
        #expect(throws: GGUFError.self) { try GGUFFile(path: "/nonexistent/model.gguf") }
        #expect(throws: GGUFError.cannotOpen(path: "/tmp", reason: "not a regular file")) { try GGUFFile(path: "/tmp") }
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        _ = FileManager.default.createFile(atPath: dir + "/empty.gguf", contents: Data())
        #expect(throws: GGUFError.truncated(what: "magic", offset: 0, needed: 4, fileSize: 0)) { try GGUFFile(path: dir + "/empty.gguf") }
    }
}
