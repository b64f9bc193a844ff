// APIClient: the CLI's HTTP client for a running server (OLLAMA_HOST, default 127.0.0.1:11434), as
// Ollama's CLI talks to its server. JSON in, JSON (or NDJSON lines) out; an `{"error": …}` answer
// becomes a thrown ClientError with the server's message.

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import LoomStore
import ServeCommand

/// A failed API call.
struct ClientError: Error, CustomStringConvertible {
    let status: Int
    let message: String
    var description: String { message }
}

/// Requests to the server.
struct APIClient {
    let base: String

    /// The server OLLAMA_HOST names (unspecified addresses are reached on 127.0.0.1).
    init() throws {
        var (host, port) = try ServeCommand.parseHost(ProcessInfo.processInfo.environment["OLLAMA_HOST"] ?? "")
        if host == "0.0.0.0" || host == "::" { host = "127.0.0.1" }
        base = "http://\(host.contains(":") ? "[\(host)]" : host):\(port)"
    }

    /// The raw answer (status, body) of one request.
    func raw(_ method: String, _ path: String, body: Data? = nil) async throws -> (Int, Data) {
        guard let url = URL(string: base + path) else { throw ClientError(status: 0, message: "bad URL \(base + path)") }
        var request = URLRequest(url: url)
        request.httpMethod = method
        request.httpBody = body
        request.timeoutInterval = 3600
        let data: Data, response: URLResponse
        do { (data, response) = try await URLSession.shared.data(for: request) } catch {
            throw ClientError(status: 0, message: "could not connect to the server at \(base) (is `loom serve` running?)")
        }
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
    }

    /// A JSON request; non-2xx answers throw their `error`.
    func call(_ method: String, _ path: String, _ body: [String: Any]? = nil) async throws -> Data {
        let payload = try body.map { try JSONSerialization.data(withJSONObject: $0) }
        let (status, data) = try await raw(method, path, body: payload)
        guard (200..<300).contains(status) else {
            let message = (try? JSONSerialization.jsonObject(with: data) as? [String: Any])?["error"] as? String
            throw ClientError(status: status, message: message ?? "HTTP \(status)")
        }
        return data
    }

    /// A JSON object answer.
    func object(_ method: String, _ path: String, _ body: [String: Any]? = nil) async throws -> [String: Any] {
        let data = try await call(method, path, body)
        return (try JSONSerialization.jsonObject(with: data) as? [String: Any]) ?? [:]
    }

    /// Uploads the file at `path` as a blob (unless the server has it) and returns its digest.
    func uploadBlob(_ path: String) async throws -> String {
        guard let data = FileManager.default.contents(atPath: path) else { throw ClientError(status: 0, message: "cannot read \(path)") }
        let digest = "sha256:" + SHA256Hex.of(data)
        let (status, _) = try await raw("HEAD", "/api/blobs/\(digest)")
        if status != 200 {
            let (code, body) = try await raw("POST", "/api/blobs/\(digest)", body: data)
            guard (200..<300).contains(code) else {
                let message = (try? JSONSerialization.jsonObject(with: body) as? [String: Any])?["error"] as? String
                throw ClientError(status: code, message: message ?? "upload failed: HTTP \(code)")
            }
        }
        return digest
    }
}
