// POST /api/pull and POST /api/push (§8.8, §8.9): LoomStore.Registry's progress streams as Ollama's
// ProgressResponse objects. Registry failures become APIErrors with Ollama's wording — 400 for an
// invalid name, 500 for the rest (what Ollama answers with stream:false) — or a final error line
// once the stream has begun.

import LoomAPI
import LoomStore

extension LoomService {
    public func pull(_ request: RegistryRequest) async throws(APIError) -> AsyncThrowingStream<ProgressResponse, Error> {
        let store = try requireWritableStore()
        let name = try Self.registryName(request)
        return Self.progress(registry.pull(name, insecure: request.insecure ?? false, into: store))
    }

    public func push(_ request: RegistryRequest) async throws(APIError) -> AsyncThrowingStream<ProgressResponse, Error> {
        let store = try requireStore()
        let name = try Self.registryName(request)
        return Self.progress(registry.push(name, insecure: request.insecure ?? false, from: store))
    }

    /// The request's name, checked (the scheme, if any, kept for the registry).
    static func registryName(_ request: RegistryRequest) throws(APIError) -> String {
        let raw = (request.model?.isEmpty == false ? request.model : request.name) ?? ""
        _ = try name(raw, nil)
        return raw
    }

    /// Maps progress and errors to the API's types.
    static func progress(_ source: AsyncThrowingStream<RegistryProgress, Error>) -> AsyncThrowingStream<ProgressResponse, Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    for try await p in source {
                        continuation.yield(ProgressResponse(status: p.status, digest: p.digest, total: p.total, completed: p.completed))
                    }
                    continuation.finish()
                } catch let error as RegistryError {
                    if case .invalidName = error { continuation.finish(throwing: APIError.badRequest("invalid model name")); return }
                    continuation.finish(throwing: APIError.internalError(error.description))
                } catch {
                    continuation.finish(throwing: APIError.internalError("\(error)"))
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
