// Loom's reader against gguf-py's view of the same files (goldens made by Scripts/gguf_dump.py).

import Foundation
import Testing
@testable import LoomGGUF

@Suite("GGUF goldens from gguf-py")
struct GoldenTests {
    @Test("tiny.gguf (written by gguf-py) reads exactly as gguf-py reads it")
    func tinyFixture() throws {
        let file = try GGUFFile(path: Paths.fixture("gguf/tiny.gguf"))
        let dump = try GGUFDump.load(Paths.fixture("gguf/tiny.json"))
        let diffs = dump.differences(from: file)
        #expect(diffs.isEmpty, "\(diffs.prefix(20).joined(separator: "\n"))")
        #expect(file.metadata.count == 23 && file.tensors.count == 7)
    }

    @Test("SmolLM2-135M-Instruct Q4_1: every key/value and tensor equals gguf-py's reading",
          .enabled(if: Paths.hasSmolLM2, "run Scripts/fetch-models.sh (make test does)"))
    func smolLM2() throws {
        let file = try GGUFFile(path: Paths.smolLM2)
        let dump = try GGUFDump.load(Paths.fixture("gguf/smollm2-135m-instruct-q4_1.json"))
        let diffs = dump.differences(from: file)
        #expect(diffs.isEmpty, "\(diffs.prefix(20).joined(separator: "\n"))")
        #expect(file.tensors.count == 272)
        #expect(try file.metadata.uint32("llama.block_count") == 30)
        #expect(try file.metadata.strings("tokenizer.ggml.tokens").count == 49152)
        #expect(file.tensor(named: "token_embd.weight")?.type == .q8_0)
    }

    @Test("the comparison itself notices a difference")
    func comparisonCanFail() throws {
        let file = try GGUFFile(path: Paths.fixture("gguf/tiny.gguf"))
        var text = try String(contentsOfFile: Paths.fixture("gguf/tiny.json"), encoding: .utf8)
        text = text.replacingOccurrences(of: "\"ü\"", with: "\"u\"")
            .replacingOccurrences(of: "\"name\": \"t.q4_0\"", with: "\"name\": \"t.q4_x\"")
        let dump = try GGUFDump.load(data: Data(text.utf8))
        let diffs = dump.differences(from: file)
        #expect(diffs.count == 2, "\(diffs)")
    }
}
