// The model registry and the one-parse load: an unknown `general.architecture` fails at load with
// one sentence naming it and the supported ones (in the library and from `loom run`); every
// registered architecture is reachable; a cold load through the service parses the GGUF once.

import Foundation
import Testing
import LoomAPI
import LoomGGUF
import LoomModels
@testable import LoomRuntime
import LoomService

@Suite("model registry")
struct RegistryTests {
    /// A GGUF whose architecture no registry knows (it has a vocabulary, so nothing else fails first).
    static func unknownModel() throws -> String {
        let dir = NSTemporaryDirectory() + "loom-registry-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        var m = GGUFMetadata()
        m["general.architecture"] = .string("gemma9")
        m["gemma9.block_count"] = .uint32(2)
        m["tokenizer.ggml.model"] = .string("gpt2")
        m["tokenizer.ggml.tokens"] = .array(.string(["a", "b"]))
        let path = dir + "/gemma9.gguf"
        try GGUFWriter(metadata: m).write(to: path)
        return path
    }

    @Test("an unknown architecture fails at load with a typed error naming it and the supported ones")
    func unknownArchitecture() throws {
        let path = try Self.unknownModel()
        let supported = ModelRegistry.supported
        #expect(supported == ["bert", "gemma3", "llama", "phi3", "qwen2", "qwen3"])
        #expect(throws: EngineError.unknownArchitecture("gemma9", supported: supported)) { try ModelInfo(path: path) }
        #expect(throws: EngineError.unknownArchitecture("gemma9", supported: supported)) { try LoadedModel.load(path: path) }
        do { _ = try Engine.load(path: path) } catch {
            #expect(error.description == "unknown model architecture 'gemma9' (Loom runs bert, gemma3, llama, phi3, qwen2, qwen3)")
        }
    }

    @Test("`loom run` on an unknown architecture prints one sentence naming it and the supported ones")
    func loomRunUnknownArchitecture() throws {
        // The test bundle sits beside the products of the same build (`swift build --build-tests`).
        let binary = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("loom").path
        try #require(FileManager.default.isExecutableFile(atPath: binary), "no loom binary beside the tests at \(binary)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = ["run", try Self.unknownModel(), "Hi"]
        let err = Pipe(), out = Pipe()
        process.standardError = err
        process.standardOutput = out
        try process.run()
        process.waitUntilExit()
        let text = String(decoding: err.fileHandleForReading.readDataToEndOfFile() + out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus != 0)
        #expect(text.trimmingCharacters(in: .whitespacesAndNewlines) == "Error: unknown model architecture 'gemma9' (Loom runs bert, gemma3, llama, phi3, qwen2, qwen3)")
    }

    @Test("every registered architecture names a model of its kind")
    func registryKinds() {
        #expect(ModelRegistry.architectures["bert"]?.isEncoder == true)
        #expect(ModelRegistry.architectures["llama"]?.isEncoder == false)
        #expect(ModelRegistry.architectures["qwen2"]?.isEncoder == false)
    }

    @Test("a cold load through the service parses the model's GGUF once", .enabled(if: ModelFixtures.available))
    func oneParsePerColdLoad() async throws {
        let dir = NSTemporaryDirectory() + "loom-parse-\(getpid())-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/smollm2:135m.gguf"
        try FileManager.default.createSymbolicLink(atPath: path, withDestinationPath: ModelFixtures.smolLM2)
        let service = LoomService(catalog: DirectoryCatalog(directory: dir))
        #expect(GGUFFile.parseCount(path: path) == 0)
        let body = #"{"model": "smollm2:135m", "prompt": "Hi", "options": {"num_predict": 2, "num_ctx": 256}}"#
        let request = try JSONDecoder().decode(GenerateRequest.self, from: Data(body.utf8))
        var done = false
        for try await response in try await service.generate(request) { done = done || response.done }
        #expect(done)
        #expect(GGUFFile.parseCount(path: path) == 1)
        let show = await service.ps()
        #expect(show.models.first?.details.family == "llama" && show.models.first?.details.quantizationLevel == "Q4_1")
        #expect(GGUFFile.parseCount(path: path) == 1)
    }
}
