// Fixtures for the service, scheduler and route suites: temp folders of tiny GGUF models (a
// DirectoryCatalog: `<name>.gguf` answers to `<name>`), temp model stores, services over them, and
// helpers that drain response streams. Nothing here reads `.cache` or the network; everything is
// written under one temp folder that is removed when the test process exits.

import Foundation
import LoomAPI
import LoomGGUF
import LoomService
import LoomStore

enum Fixtures {
    /// One folder per test process for everything the suites write; removed when the process exits.
    static let root: String = {
        let path = NSTemporaryDirectory() + "loom-service-tests-\(UUID().uuidString)"
        atexit { try? FileManager.default.removeItem(atPath: Fixtures.root) }
        return path
    }()

    /// A new empty temp directory (under `root`).
    static func temporaryDirectory(_ label: String = "models") throws -> String {
        let path = root + "/\(label)-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    /// Writes each model as `<dir>/<name>.gguf` into a new temp directory; returns the directory.
    static func modelDirectory(_ models: [String: TinyModel.Spec]) throws -> String {
        let dir = try temporaryDirectory()
        for (name, spec) in models { try TinyModel(spec).write(to: dir + "/" + name + ".gguf") }
        return dir
    }

    /// The models every service suite uses, written once per process (the files never change).
    ///   tiny      ChatML, never ends by itself (done_reason "length")
    ///   tiny-eos  ChatML, ends every reply at once (done_reason "stop")
    ///   thinker   the thinking template
    ///   toolsy    the tools template
    ///   tiny-q8   Q8_0 weights
    ///   caller    the tools template, favouring the <tool_call> token (so it calls a tool at once)
    static func models() throws -> String { try written.get() }

    private static let written = Result<String, any Error> {
        var eos = TinyModel.Spec(); eos.ending = .always
        var think = TinyModel.Spec(); think.template = .thinking; think.seed = 7
        var tools = TinyModel.Spec(); tools.template = .tools; tools.seed = 11
        var q8 = TinyModel.Spec(); q8.weightType = .q8_0; q8.seed = 13
        var caller = TinyModel.Spec(); caller.template = .tools; caller.favourite = "<tool_call>"; caller.seed = 17
        return try modelDirectory(["tiny": TinyModel.Spec(), "tiny-eos": eos, "thinker": think, "toolsy": tools,
                                   "tiny-q8": q8, "caller": caller])
    }

    /// A fresh service (its own scheduler) over the shared tiny models.
    static func service(_ configure: (inout ServiceConfiguration) -> Void = { _ in }) throws -> LoomService {
        var config = ServiceConfiguration()
        config.threads = 1
        configure(&config)
        return LoomService(catalog: DirectoryCatalog(directory: try models()), configuration: config)
    }

    /// A service over a new temp ModelStore holding the shared models imported under new names
    /// (store name, shared model name).
    static func storeService(importing models: [(String, String)] = [("tiny:latest", "tiny")]) async throws -> (LoomService, ModelStore) {
        let store = ModelStore(root: try temporaryDirectory("loom-store"))
        var config = ServiceConfiguration()
        config.threads = 1
        let service = LoomService(catalog: StoreCatalog(store: store), store: store, configuration: config)
        for (name, file) in models { _ = try await service.importModel(name, from: try Self.models() + "/" + file + ".gguf") }
        return (service, store)
    }

    /// `options` as the wire's JSON object.
    static func options(_ pairs: [(String, JSONValue)]) -> JSONValue { .object(pairs) }

    /// Options for a short, reproducible reply.
    static func short(_ n: Int = 6, seed: Int = 1, temperature: Double = 0, extra: [(String, JSONValue)] = []) -> JSONValue {
        .object([("num_predict", JSONValue(n)), ("seed", JSONValue(seed)), ("temperature", JSONValue(temperature))] + extra)
    }

    static func generate(_ model: String, _ prompt: String, options: JSONValue? = short()) -> GenerateRequest {
        var r = GenerateRequest(model: model)
        r.prompt = prompt
        r.options = options
        return r
    }

    static func chat(_ model: String, _ text: String, options: JSONValue? = short()) -> ChatRequest {
        var r = ChatRequest(model: model, messages: [Message(role: "user", content: text)])
        r.options = options
        return r
    }

    /// Every object of a stream.
    static func drain<T>(_ stream: AsyncThrowingStream<T, Error>) async throws -> [T] {
        var items: [T] = []
        for try await item in stream { items.append(item) }
        return items
    }

    /// The APIError `body` throws (nil when it does not throw one).
    static func apiError(_ body: () async throws -> Void) async -> APIError? {
        do { try await body() } catch let e as APIError { return e } catch { return APIError(status: -1, "\(error)") }
        return nil
    }

    /// `text` as a JSON value, or nil when it is not JSON.
    static func parseJSON(_ text: String) -> Any? {
        try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed])
    }
}
