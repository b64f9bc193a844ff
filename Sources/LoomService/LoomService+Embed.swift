// LoomService: POST /api/embed and the legacy POST /api/embeddings (§7), and the capability check
// that keeps embedding-only models out of generate/chat.
//
// /api/embed validates in Ollama's order (empty model 404, unknown model 404 «model "x" not found,
// try pulling it first», input type 400), loads the model even when there is nothing to embed,
// then embeds every input in one call to the model (an encoder packs them into batches; a
// generator runs them one by one) and answers unit vectors in input order. Errors of the inputs
// (over the context with truncate:false) are 400, others 500.

import Foundation
import LoomAPI
import LoomGGUF
import LoomRuntime

extension LoomService {
    public func embed(_ request: EmbedRequest) async throws(APIError) -> EmbedResponse {
        let name = request.model ?? ""
        guard !name.isEmpty else { throw .notFound("model '' not found") }
        let entry = try resolveForEmbedding(name)
        let inputs = try Self.inputs(request.input)
        if let d = request.dimensions, d < 0 { throw .badRequest("dimensions must be a non-negative integer") }
        let options = EmbedOptions(truncate: request.truncate ?? true, normalize: true, dimensions: request.dimensions ?? 0)
        let result = try await embedding(entry, inputs, options: options, requestOptions: request.options, keepAlive: request.keepAlive)
        return EmbedResponse(model: name, embeddings: result?.vectors ?? [],
                             totalDuration: result.map { Int64($0.totalDuration) }, loadDuration: result.map { Int64($0.loadDuration) },
                             promptEvalCount: result?.promptEvalCount)
    }

    public func embeddings(_ request: EmbeddingRequest) async throws(APIError) -> EmbeddingResponse {
        let name = request.model ?? ""
        guard !name.isEmpty else { throw .badRequest("model is required") }
        let entry = try resolveForEmbedding(name)
        let prompt = request.prompt ?? ""
        let result: Embeddings?
        do {
            result = try await embedding(entry, prompt.isEmpty ? [] : [prompt], options: EmbedOptions(normalize: false),
                                         requestOptions: request.options, keepAlive: request.keepAlive)
        } catch where error.status == 400 && error.message.contains("context") {
            throw .internalError(error.message)   // the legacy endpoint answers runner errors with 500
        }
        return EmbeddingResponse(embedding: (result?.vectors.first ?? []).map(Double.init))
    }

    /// Loads the model and embeds `inputs` (nil when there were none).
    func embedding(_ entry: ModelEntry, _ inputs: [String], options: EmbedOptions, requestOptions: JSONValue?,
                   keepAlive: KeepAlive?) async throws(APIError) -> Embeddings? {
        var merged = try Options(entry.parameters)
        try merged.merge(requestOptions)
        let runner = try await scheduler.acquire(entry, options: runnerOptions(merged), keepAlive: keepAlive)
        var result: Result<Embeddings?, APIError> = .success(nil)
        if !inputs.isEmpty {
            do {
                result = .success(try await runner.model.embedder.embed(inputs, options: options))
            } catch let e as EngineError {
                if case .inputTooLong = e { result = .failure(.badRequest(e.description)) } else { result = .failure(.internalError(e.description)) }
            } catch {
                result = .failure(.internalError("\(error)"))
            }
        }
        await scheduler.release(runner, keepAlive: keepAlive)
        return try result.get()
    }

    /// The catalog's entry, with the embed endpoints' wording for a missing model.
    func resolveForEmbedding(_ name: String) throws(APIError) -> ModelEntry {
        do { return try catalog.resolve(name) } catch where error.status == 404 {
            throw .notFound("model \"\(name)\" not found, try pulling it first")
        }
    }

    /// `input` as a list of texts: a string, an array of strings, or nothing ("" and [] are nothing).
    static func inputs(_ input: JSONValue?) throws(APIError) -> [String] {
        switch input {
        case nil, .null?: return []
        case let .string(s)?: return s.isEmpty ? [] : [s]
        case let .array(items)?:
            return try items.map { item throws(APIError) in
                guard case let .string(s) = item else { throw .badRequest("invalid input type") }
                return s
            }
        default: throw .badRequest("invalid input type")
        }
    }

    /// 400 «"name" does not support generate|chat» for an embedding-only model.
    func requireGenerator(_ entry: ModelEntry, name: String, verb: String) throws(APIError) {
        if let info = try? files.info(entry.path), info.isEncoder {
            throw .badRequest("\"\(name)\" does not support \(verb)")
        }
    }
}
