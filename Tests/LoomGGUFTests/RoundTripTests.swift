// Write → read → equal: every metadata value type (scalars at their extremes, empty and nested
// arrays, Unicode, non-finite floats), tensors of several types, v2 and v3, custom alignment, and
// the atomic file write.

import Foundation
import LoomTensor
import Testing
@testable import LoomGGUF

/// Metadata with every value type, including the edge cases gguf-py refuses to write.
func allTypesMetadata() -> GGUFMetadata {
    var m = GGUFMetadata()
    m["general.architecture"] = .string("llama")
    m["u8"] = .uint8(.max); m["i8"] = .int8(.min)
    m["u16"] = .uint16(.max); m["i16"] = .int16(.min)
    m["u32"] = .uint32(.max); m["i32"] = .int32(.min)
    m["u64"] = .uint64(.max); m["i64"] = .int64(.min)
    m["f32"] = .float32(-.leastNonzeroMagnitude); m["f32.inf"] = .float32(.infinity)
    m["f64"] = .float64(.pi); m["f64.max"] = .float64(-.greatestFiniteMagnitude)
    m["bool.true"] = .bool(true); m["bool.false"] = .bool(false)
    m["string"] = .string("SmolLM2 — 🦙 \u{0}nul \"q\" \n")
    m["string.empty"] = .string("")
    m["a.u8"] = .array(.uint8([0, 1, 255])); m["a.i8"] = .array(.int8([-128, 127]))
    m["a.u16"] = .array(.uint16([1, 65535])); m["a.i16"] = .array(.int16([-32768]))
    m["a.u32"] = .array(.uint32([7])); m["a.i32"] = .array(.int32(Array(-100...100)))
    m["a.u64"] = .array(.uint64([.max, 0])); m["a.i64"] = .array(.int64([.min, .max]))
    m["a.f32"] = .array(.float32([0.1, -0, .infinity])); m["a.f64"] = .array(.float64([1e-300, 2]))
    m["a.bool"] = .array(.bool([true, false]))
    m["a.string"] = .array(.string(["", "ĠHello", "<|im_end|>", "世界"]))
    m["a.empty"] = .array(.float32([]))
    m["a.empty.strings"] = .array(.string([]))
    m["a.nested"] = .array(.array([.int32([1, 2]), .string(["x"]), .array([.bool([true])]), .uint8([])]))
    return m
}

/// A writer with `allTypesMetadata()` and one tensor of each of several types, with seeded bytes.
func sampleWriter(alignment: UInt32? = nil, version: UInt32 = 3) throws -> GGUFWriter {
    var m = allTypesMetadata()
    if let alignment { m["general.alignment"] = .uint32(alignment) }
    var w = GGUFWriter(metadata: m)
    w.version = version
    var rng = SplitMix64(seed: 7)
    let specs: [(String, GGMLType, [Int])] = [
        ("tok_embd.weight", .q8_0, [64, 10]), ("blk.0.attn_q.weight", .q4_0, [32, 3]),
        ("blk.0.ffn_up.weight", .q4_1, [96, 2]), ("norm.weight", .f32, [7]),
        ("blk.0.attn_k.weight", .f16, [5, 3, 2]), ("rope.freqs", .bf16, [3, 1, 1, 2]),
        ("kq.weight", .q6_K, [256, 1]), ("scalar", .i32, []), ("empty", .f32, [0, 4]),
    ]
    for (name, type, shape) in specs {
        let n = try #require(type.byteCount(elements: shape.reduce(1, *)))
        try w.addTensor(name: name, type: type, shape: shape, bytes: (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) })
    }
    return w
}

@Suite("GGUF round trip")
struct RoundTripTests {
    /// Metadata equality that compares floats by bit pattern (NaN-safe).
    static func sameBits(_ a: GGUFMetadata, _ b: GGUFMetadata) -> Bool {
        var ea = ByteEncoder(), eb = ByteEncoder()
        for e in a { ea.string(e.key); ea.value(e.value) }
        for e in b { eb.string(e.key); eb.value(e.value) }
        return ea.bytes == eb.bytes && a.keys == b.keys
    }

    @Test("every metadata type and tensors of several types survive write → read", arguments: [2, 3] as [UInt32])
    func roundTrip(version: UInt32) throws {
        let w = try sampleWriter(version: version)
        let bytes = try w.serialized()
        let file = try GGUFFile(bytes: bytes)
        #expect(file.version == version)
        #expect(file.metadata == w.metadata)
        #expect(Self.sameBits(file.metadata, w.metadata))
        #expect(file.tensors.map(\.name) == w.pending.map(\.name))
        for (t, p) in zip(file.tensors, w.pending) {
            #expect(t.type == p.type && t.shape == p.shape && t.byteCount == p.byteCount)
            #expect(t.offset % file.alignment == 0)
            guard case let .bytes(expected) = p.data else { Issue.record("provider"); continue }
            #expect(Array(file.bytes(of: t)) == expected, "bytes of \(t.name)")
        }
        // Serializing what was read gives the same bytes again.
        var again = GGUFWriter(metadata: file.metadata)
        again.version = version
        for t in file.tensors {
            try again.addTensor(name: t.name, type: t.type, shape: t.shape, bytes: Array(file.bytes(of: t)))
        }
        #expect(try again.serialized() == bytes)
    }

    @Test("NaN floats keep their bit patterns")
    func nanBits() throws {
        var m = GGUFMetadata()
        m["nan"] = .float32(Float(bitPattern: 0x7fc0_1234))
        m["nans"] = .array(.float64([Double(bitPattern: 0xfff8_0000_0000_0042)]))
        let file = try GGUFFile(bytes: try GGUFWriter(metadata: m).serialized())
        #expect(Self.sameBits(file.metadata, m))
    }

    @Test("a custom general.alignment is honoured by writer and reader", arguments: [1, 64, 4096] as [UInt32])
    func alignment(_ a: UInt32) throws {
        let bytes = try sampleWriter(alignment: a).serialized()
        let file = try GGUFFile(bytes: bytes)
        #expect(file.alignment == Int(a))
        #expect(file.dataOffset % Int(a) == 0)
        #expect(file.tensors.allSatisfy { $0.offset % Int(a) == 0 })
    }

    @Test("write(to:) is atomic and the mapped file equals the serialized bytes")
    func fileWrite() throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/model.gguf"
        let w = try sampleWriter()
        try w.write(to: path)
        let onDisk = try Data(contentsOf: URL(fileURLWithPath: path))
        #expect(Array(onDisk) == (try w.serialized()))
        let file = try GGUFFile(path: path)
        #expect(file.metadata == w.metadata)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["model.gguf"])

        // A provider that fails leaves the old file untouched and no temp file behind.
        var failing = GGUFWriter(metadata: ["general.architecture": .string("x")])
        struct Boom: Error {}
        try failing.addTensor(name: "t", type: .f32, shape: [4]) { throw Boom() }
        #expect(throws: GGUFError.self) { try failing.write(to: path) }
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: path))) == Array(onDisk))
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["model.gguf"])
    }

    @Test("provider tensors are produced at write time and checked for size")
    func providers() throws {
        var w = GGUFWriter()
        try w.addTensor(name: "p", type: .q8_0, shape: [32, 2]) { [UInt8](repeating: 9, count: 68) }
        let file = try GGUFFile(bytes: try w.serialized())
        #expect(Array(file.bytes(of: file.tensors[0])) == [UInt8](repeating: 9, count: 68))

        var bad = GGUFWriter()
        try bad.addTensor(name: "p", type: .q8_0, shape: [32]) { [1, 2, 3] }
        #expect(throws: GGUFError.tensorDataSizeMismatch(tensor: "p", expected: 34, actual: 3)) { try bad.serialized() }
    }

    @Test("the writer rejects what the reader would reject")
    func writerValidation() throws {
        var w = GGUFWriter()
        #expect(throws: GGUFError.rowNotBlockMultiple(tensor: "a", type: .q4_0, rowLength: 33)) {
            try w.addTensor(name: "a", type: .q4_0, shape: [33], bytes: [])
        }
        #expect(throws: GGUFError.invalidShape(tensor: "b", shape: [1, 1, 1, 1, 1])) {
            try w.addTensor(name: "b", type: .f32, shape: [1, 1, 1, 1, 1], bytes: [0, 0, 0, 0])
        }
        #expect(throws: GGUFError.tensorDataSizeMismatch(tensor: "c", expected: 8, actual: 4)) {
            try w.addTensor(name: "c", type: .f32, shape: [2], bytes: [0, 0, 0, 0])
        }
        try w.addTensor(name: "d", type: .f32, shape: [1], bytes: [0, 0, 0, 0])
        #expect(throws: GGUFError.duplicateTensorName("d")) {
            try w.addTensor(name: "d", type: .f32, shape: [1], bytes: [0, 0, 0, 0])
        }
        w.metadata["general.alignment"] = .uint32(48)
        #expect(throws: GGUFError.invalidAlignment("uint32(48)")) { try w.serialized() }
    }
}
