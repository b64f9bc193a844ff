// APIClient: the CLI's HTTP client for a running server (OLLAMA_HOST, default 127.0.0.1:11434), as
// Ollama's CLI talks to its server. JSON in, JSON (or NDJSON lines) out; an `{"error": …}` answer
// becomes a thrown ClientError with the server's message. Streams (pull, push, chat) are read line by
// line as they arrive (async-http-client).

import AsyncHTTPClient
import Foundation
import NIOCore
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

    /// A streaming request: each NDJSON object as it arrives. A non-2xx answer, or an `error` line,
    /// throws the server's message.
    func stream(_ path: String, _ body: [String: Any]) -> AsyncThrowingStream<[String: Any], Error> {
        let base = self.base
        let payload = Result { try JSONSerialization.data(withJSONObject: body) }
        return AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    var request = HTTPClientRequest(url: base + path)
                    request.method = .POST
                    request.headers.add(name: "Content-Type", value: "application/json")
                    request.body = .bytes(ByteBuffer(bytes: try payload.get()))
                    let response: HTTPClientResponse
                    do { response = try await HTTPClient.shared.execute(request, timeout: .hours(24)) } catch {
                        throw ClientError(status: 0, message: "could not connect to the server at \(base) (is `loom serve` running?)")
                    }
                    var pending = [UInt8]()
                    func emit(_ line: ArraySlice<UInt8>) throws {
                        guard !line.isEmpty else { return }
                        let object = (try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any]) ?? [:]
                        if let message = object["error"] as? String { throw ClientError(status: Int(response.status.code), message: message) }
                        continuation.yield(object)
                    }
                    for try await buffer in response.body {
                        pending += buffer.readableBytesView
                        while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                            try emit(pending[..<newline])
                            pending.removeSubrange(...newline)
                        }
                    }
                    try emit(pending[...])
                    guard (200..<300).contains(Int(response.status.code)) else {
                        throw ClientError(status: Int(response.status.code), message: "HTTP \(response.status.code)")
                    }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
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
