// Files written by GGUFWriter are read back by the `gguf` Python package (gguf-py, the reference
// maintained in llama.cpp) exactly as Loom reads them. Needs LOOM_PYTHON (set by `make test`).

import Foundation
import Testing
@testable import LoomGGUF

@Suite("GGUF interop with gguf-py")
struct PythonInteropTests {
    static var enabled: Bool { Paths.python != nil || Paths.requireModels }

    /// Runs Scripts/gguf_dump.py on `path` with LOOM_PYTHON and decodes its JSON.
    static func pythonDump(_ path: String) throws -> GGUFDump {
        let python = try #require(Paths.python, "set LOOM_PYTHON to a Python with gguf==0.19.0 (make test does)")
        let p = Process()
        p.executableURL = URL(fileURLWithPath: python)
        p.arguments = [Paths.root + "/Scripts/gguf_dump.py", path]
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        let errText = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        try #require(p.terminationStatus == 0, "gguf_dump.py failed: \(errText)")
        return try GGUFDump.load(data: data)
    }

    @Test("gguf-py reads GGUFWriter's output (every value type, nested arrays, 9 tensors) as Loom does",
          .enabled(if: enabled), arguments: [nil, 64] as [UInt32?])
    func writerOutputReadByPython(alignment: UInt32?) throws {
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/written.gguf"
        let w = try sampleWriter(alignment: alignment)
        try w.write(to: path)
        let ours = try GGUFFile(path: path)
        let theirs = try Self.pythonDump(path)
        let diffs = theirs.differences(from: ours)
        #expect(diffs.isEmpty, "\(diffs.prefix(20).joined(separator: "\n"))")
        #expect(theirs.tensor_count == 9 && theirs.kv_count == w.metadata.count)
    }

    @Test("rewriting SmolLM2 with GGUFWriter gives a file gguf-py reads identically",
          .enabled(if: enabled && Paths.hasSmolLM2))
    func rewriteRealModel() throws {
        let source = try GGUFFile(path: Paths.smolLM2)
        var w = GGUFWriter(metadata: source.metadata)
        for t in source.tensors {
            try w.addTensor(name: t.name, type: t.type, shape: t.shape) { Array(source.bytes(of: t)) }
        }
        let dir = try Paths.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try w.write(to: dir + "/copy.gguf")
        let copy = try Data(contentsOf: URL(fileURLWithPath: dir + "/copy.gguf"))
        let original = try Data(contentsOf: URL(fileURLWithPath: Paths.smolLM2))
        #expect(copy == original, "the rewrite is byte-identical to the llama.cpp-written original")
        let golden = try GGUFDump.load(Paths.fixture("gguf/smollm2-135m-instruct-q4_1.json"))
        #expect(golden.differences(from: try GGUFFile(path: dir + "/copy.gguf")).isEmpty)
    }
}
