// Test support: where the real model folders are, a hand-rolled safetensors writer (so malformed
// files can be made byte by byte), tiny synthetic BERT / llama folders, and small helpers.
//
// Real-model tests run when their folder exists, and under LOOM_REQUIRE_MODELS=1 (make test) they
// run — and fail — when it does not. Tests that call Python need LOOM_PYTHON (the .venv with gguf).

import Foundation
import LoomTensor
@testable import LoomConvert

enum ConvertFixtures {
    /// The repository root (three levels above this file).
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()
    static let models = root + "/.cache/models"
    static let miniLM = models + "/all-MiniLM-L6-v2"
    static let smolLM2HF = models + "/SmolLM2-135M-Instruct-hf"
    static let smolLM2F16 = models + "/SmolLM2-135M-Instruct.F16.gguf"

    static var requireModels: Bool { ProcessInfo.processInfo.environment["LOOM_REQUIRE_MODELS"] == "1" }
    static var python: String? { ProcessInfo.processInfo.environment["LOOM_PYTHON"] }

    /// True when `path` exists, or when LOOM_REQUIRE_MODELS=1 (then a missing path fails the test).
    static func available(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) || requireModels }

    static func temporaryDirectory() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("loom-convert-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }
}

/// One tensor for `SafetensorsBuilder`.
struct STEntry {
    var name: String
    var dtype: String
    var shape: [Int]
    var bytes: [UInt8]
    /// Overrides the data_offsets written (for malformed files).
    var offsets: [Int]? = nil

    static func f32(_ name: String, _ shape: [Int], _ values: [Float]) -> STEntry {
        STEntry(name: name, dtype: "F32", shape: shape, bytes: values.flatMap { le($0.bitPattern) })
    }
    static func f16(_ name: String, _ shape: [Int], _ values: [Float]) -> STEntry {
        STEntry(name: name, dtype: "F16", shape: shape, bytes: values.flatMap { le(Half.f16(from: $0)) })
    }
    static func bf16(_ name: String, _ shape: [Int], _ values: [Float]) -> STEntry {
        STEntry(name: name, dtype: "BF16", shape: shape, bytes: values.flatMap { le(Half.bf16(from: $0)) })
    }
}

func le<T: FixedWidthInteger>(_ v: T) -> [UInt8] { withUnsafeBytes(of: v.littleEndian) { Array($0) } }

/// Writes safetensors files byte by byte: u64 header length, JSON header, data.
enum SafetensorsBuilder {
    static func header(_ entries: [STEntry], metadata: [String: String]? = ["format": "pt"]) -> String {
        var parts: [String] = []
        if let metadata {
            let m = metadata.map { "\"\($0.key)\":\"\($0.value)\"" }.joined(separator: ",")
            parts.append("\"__metadata__\":{\(m)}")
        }
        var offset = 0
        for e in entries {
            let offsets = e.offsets ?? [offset, offset + e.bytes.count]
            offset += e.bytes.count
            parts.append("\"\(e.name)\":{\"dtype\":\"\(e.dtype)\",\"shape\":\(e.shape),\"data_offsets\":\(offsets)}")
        }
        return "{" + parts.joined(separator: ",") + "}"
    }

    /// The file's bytes; `headerText` replaces the generated header, `declaredLength` the length field.
    static func bytes(_ entries: [STEntry], headerText: String? = nil, declaredLength: UInt64? = nil) -> [UInt8] {
        var h = Array((headerText ?? header(entries)).utf8)
        while h.count % 8 != 0 { h.append(0x20) }
        return le(declaredLength ?? UInt64(h.count)) + h + entries.flatMap(\.bytes)
    }

    static func write(_ path: String, _ entries: [STEntry], headerText: String? = nil, declaredLength: UInt64? = nil) throws {
        try Data(bytes(entries, headerText: headerText, declaredLength: declaredLength)).write(to: URL(fileURLWithPath: path))
    }
}

/// Deterministic pseudo-random floats.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func randomFloats(_ n: Int, seed: UInt64) -> [Float] {
    var g = SplitMix64(state: seed)
    return (0..<n).map { _ in Float.random(in: -1...1, using: &g) }
}

/// Writes `text` to dir/rel, creating folders.
func writeText(_ text: String, _ dir: String, _ rel: String) throws {
    let url = URL(fileURLWithPath: dir + "/" + rel)
    try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
    try Data(text.utf8).write(to: url)
}

/// CRC-32 (zlib's polynomial), to compare tensor bytes with Python's zlib.crc32.
enum CRC32 {
    static let table: [UInt32] = (0..<256).map { i -> UInt32 in
        var c = UInt32(i)
        for _ in 0..<8 { c = c & 1 != 0 ? 0xEDB8_8320 ^ (c >> 1) : c >> 1 }
        return c
    }

    static func of(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var c: UInt32 = 0xFFFF_FFFF
        for b in bytes { c = table[Int((c ^ UInt32(b)) & 0xFF)] ^ (c >> 8) }
        return c ^ 0xFFFF_FFFF
    }
}

/// Runs `python -c script args…` and returns stdout.
func runPython(_ script: String, _ args: [String]) throws -> Data {
    guard let python = ConvertFixtures.python else { throw ConvertTestError("set LOOM_PYTHON to the .venv interpreter (make test does)") }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: python)
    p.arguments = ["-c", script] + args
    let out = Pipe(), err = Pipe()
    p.standardOutput = out
    p.standardError = err
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    let errText = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    p.waitUntilExit()
    guard p.terminationStatus == 0 else { throw ConvertTestError("python failed: \(errText)") }
    return data
}

struct ConvertTestError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}
