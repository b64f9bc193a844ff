// The safetensors reader on small files written byte by byte: dtypes, shapes, offsets and
// metadata of valid files, and the specific ConvertError of each kind of malformed file.

import Foundation
import Testing
import LoomTensor
@testable import LoomConvert

@Suite("safetensors reader")
struct SafetensorsTests {
    /// Writes `bytes` to a temp file and opens it.
    static func open(_ bytes: [UInt8], name: String = "t.safetensors") throws(ConvertError) -> SafetensorsFile {
        let dir = (try? ConvertFixtures.temporaryDirectory()) ?? NSTemporaryDirectory()
        let path = dir + "/" + name
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        defer { try? FileManager.default.removeItem(atPath: dir) }
        return try SafetensorsFile(path: path)
    }

    static func error(_ bytes: [UInt8]) -> ConvertError? {
        do { _ = try open(bytes); return nil } catch { return error }
    }

    @Test("F32, F16, BF16 and I64 tensors: dtypes, shapes, offsets, values, metadata")
    func validFile() throws {
        let a: [Float] = [1, -2, 0.5, 3.25, 1e-3, -65504]
        let entries = [
            STEntry.f32("a", [2, 3], a),
            STEntry.f16("b", [3], [0.1, 2, -1]),
            STEntry.bf16("c", [1, 2], [1.5, -0.007]),
            STEntry(name: "ids", dtype: "I64", shape: [2], bytes: le(Int64(7)) + le(Int64(9))),
            STEntry(name: "empty", dtype: "F32", shape: [0, 4], bytes: []),
        ]
        let f = try Self.open(SafetensorsBuilder.bytes(entries))
        #expect(f.tensors.map(\.name) == ["a", "b", "c", "ids", "empty"])
        #expect(f.metadata == ["format": "pt"])
        let t = try #require(f.tensor(named: "a"))
        #expect(t.dtype == .f32 && t.shape == [2, 3] && t.byteRange == 0..<24 && t.elementCount == 6)
        #expect(try f.floats(of: t) == a)
        #expect(Array(f.bytes(of: t)) == entries[0].bytes)
        let b = try #require(f.tensor(named: "b"))
        #expect(b.dtype == .f16 && b.byteRange == 24..<30)
        #expect(try f.floats(of: b) == [0.1, 2, -1].map { Half.f32(fromF16: Half.f16(from: $0)) })
        let c = try #require(f.tensor(named: "c"))
        #expect(c.dtype == .bf16 && c.shape == [1, 2])
        #expect(try f.floats(of: c) == [1.5, -0.007].map { Half.f32(fromBF16: Half.bf16(from: $0)) })
        let ids = try #require(f.tensor(named: "ids"))
        #expect(ids.dtype == .i64 && ids.byteRange == 34..<50)
        #expect(f.tensor(named: "empty")?.elementCount == 0)
        #expect(f.dataOffset % 8 == 0 && f.dataOffset > 8)
    }

    @Test("reading an I64 tensor as floats is an unsupported dtype")
    func integerTensorIsUnsupported() throws {
        let f = try Self.open(SafetensorsBuilder.bytes([STEntry(name: "embeddings.position_ids", dtype: "I64", shape: [1, 2], bytes: [UInt8](repeating: 0, count: 16))]))
        let t = try #require(f.tensors.first)
        #expect(throws: ConvertError.unsupportedDType(file: "t.safetensors", tensor: "embeddings.position_ids", dtype: "I64")) {
            try f.floats(of: t)
        }
    }

    @Test("a file shorter than the 8-byte length field is truncated")
    func truncated() {
        #expect(Self.error([1, 2, 3]) == .safetensorsTruncated(file: "t.safetensors", fileSize: 3))
        #expect(Self.error([]) == .safetensorsTruncated(file: "t.safetensors", fileSize: 0))
    }

    @Test("a header length past the end of the file")
    func headerBeyondFile() {
        let bytes = SafetensorsBuilder.bytes([STEntry.f32("a", [1], [1])], declaredLength: 1000)
        #expect(Self.error(bytes) == .safetensorsHeaderBeyondFile(file: "t.safetensors", headerLength: 1000, fileSize: bytes.count))
        let huge = le(UInt64.max) + [0x7B, 0x7D]
        #expect(Self.error(huge) == .safetensorsHeaderBeyondFile(file: "t.safetensors", headerLength: .max, fileSize: 10))
    }

    @Test("a header that is not JSON, or not an object", arguments: ["{\"a\": ", "[1, 2]", "not json at all"])
    func headerNotJSON(text: String) {
        guard case let .safetensorsHeaderNotJSON(file, _)? = Self.error(SafetensorsBuilder.bytes([], headerText: text)) else {
            Issue.record("expected safetensorsHeaderNotJSON for \(text)")
            return
        }
        #expect(file == "t.safetensors")
    }

    @Test("data offsets outside the data section, or ending before they begin")
    func offsetsOutOfRange() {
        var e = STEntry.f32("w", [2], [1, 2])
        e.offsets = [0, 12]
        #expect(Self.error(SafetensorsBuilder.bytes([e])) == .safetensorsDataOutOfRange(file: "t.safetensors", tensor: "w", begin: 0, end: 12, dataSize: 8))
        e.offsets = [8, 0]
        #expect(Self.error(SafetensorsBuilder.bytes([e])) == .safetensorsDataOutOfRange(file: "t.safetensors", tensor: "w", begin: 8, end: 0, dataSize: 8))
    }

    @Test("dtype × shape that does not match the byte range")
    func sizeMismatch() {
        var e = STEntry.f32("w", [3], [1, 2])   // 3 floats declared, 8 bytes given
        e.offsets = [0, 8]
        #expect(Self.error(SafetensorsBuilder.bytes([e])) == .safetensorsSizeMismatch(file: "t.safetensors", tensor: "w", dtype: "F32", shape: [3], expected: 12, actual: 8))
    }

    @Test("an unknown dtype")
    func unknownDType() {
        let e = STEntry(name: "q", dtype: "Q4_0", shape: [4], bytes: [0, 0, 0, 0])
        #expect(Self.error(SafetensorsBuilder.bytes([e])) == .unsupportedDType(file: "t.safetensors", tensor: "q", dtype: "Q4_0"))
    }

    @Test("entries without dtype, with a bad shape or bad offsets", arguments: [
        "{\"w\": {\"shape\": [1], \"data_offsets\": [0, 4]}}",
        "{\"w\": {\"dtype\": \"F32\", \"shape\": [-1], \"data_offsets\": [0, 4]}}",
        "{\"w\": {\"dtype\": \"F32\", \"shape\": [1], \"data_offsets\": [0]}}",
        "{\"w\": 3}",
    ])
    func invalidEntry(text: String) {
        guard case let .safetensorsInvalidEntry(_, tensor, _)? = Self.error(SafetensorsBuilder.bytes([], headerText: text) + [0, 0, 0, 0]) else {
            Issue.record("expected safetensorsInvalidEntry for \(text)")
            return
        }
        #expect(tensor == "w")
    }

    @Test("error messages name the file, the tensor and expected vs actual")
    func messages() {
        let e = ConvertError.safetensorsSizeMismatch(file: "model.safetensors", tensor: "w", dtype: "F32", shape: [3], expected: 12, actual: 8)
        #expect(e.description == "model.safetensors: tensor 'w' (F32 [3]) needs 12 bytes but its data offsets span 8")
        #expect(ConvertError.missingTensors(["a", "b"]).description == "2 tensor(s) missing: a, b")
    }
}
