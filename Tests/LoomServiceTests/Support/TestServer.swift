// TestServer: LoomServer's OllamaResponder on a real Hummingbird listener at 127.0.0.1 on an
// ephemeral port, in this process, with a minimal HTTP client (URLSession) — so route tests see
// real status codes, headers, chunked NDJSON and HEAD handling, with no network beyond loopback.
//
//   let server = try await TestServer.start(service: s, models: s)
//   let (status, headers, body) = try await server.request("POST", "/api/generate", body: "{…}")
//   await server.stop()

import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Hummingbird
import LoomAPI
import LoomServer
import ServiceLifecycle

final class TestServer: @unchecked Sendable {
    let port: Int
    private let group: ServiceGroup
    private let task: Task<Void, Error>
    let session: URLSession
    /// The responder's log lines.
    let log: LogLines

    private init(port: Int, group: ServiceGroup, task: Task<Void, Error>, log: LogLines) {
        self.log = log
        self.port = port
        self.group = group
        self.task = task
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = 120
        session = URLSession(configuration: config)
    }

    /// Starts a server for `service` (and `models` for the management routes).
    static func start(service: any OllamaService, models: (any ModelManagement)? = nil) async throws -> TestServer {
        let log = LogLines()
        let responder = OllamaResponder(service: service, models: models,
                                        policy: AccessPolicy(extraOrigins: nil, loopbackListener: true),
                                        log: { log.append($0) })
        let (ports, portSink) = AsyncStream<Int>.makeStream()
        let app = Application(
            responder: responder,
            configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0), serverName: "Loom"),
            onServerRunning: { channel in
                portSink.yield(channel.localAddress?.port ?? -1)
                portSink.finish()
            }
        )
        let group = ServiceGroup(configuration: ServiceGroupConfiguration(services: [app], logger: app.logger))
        let task = Task { try await group.run() }
        var port = -1
        for await p in ports { port = p }
        guard port > 0 else {
            task.cancel()
            throw APIError.internalError("the test server did not start")
        }
        return TestServer(port: port, group: group, task: task, log: log)
    }

    /// Runs `body` against a server for `service`, and stops the server after (also when it throws).
    static func with<T>(service: any OllamaService, models: (any ModelManagement)? = nil,
                        _ body: (TestServer) async throws -> T) async throws -> T {
        let server = try await start(service: service, models: models)
        do {
            let value = try await body(server)
            await server.stop()
            return value
        } catch {
            await server.stop()
            throw error
        }
    }

    /// Stops the listener and waits for it.
    func stop() async {
        session.invalidateAndCancel()
        await group.triggerGracefulShutdown()
        _ = await task.result
    }

    struct Reply {
        var status: Int
        var headers: [String: String]
        var body: Data
        var text: String { String(decoding: body, as: UTF8.self) }
        /// The body's JSON object (nil when it is not one).
        var json: [String: Any]? { (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] }
        /// Each NDJSON line's object (nil entries for lines that are not JSON objects).
        var lines: [[String: Any]?] {
            text.split(separator: "\n", omittingEmptySubsequences: true).map {
                (try? JSONSerialization.jsonObject(with: Data($0.utf8))) as? [String: Any]
            }
        }
        func header(_ name: String) -> String? { headers.first { $0.key.lowercased() == name.lowercased() }?.value }
    }

    /// Sends one request; `body` (text) or `data` (bytes) is sent as given (neither: no body).
    func request(_ method: String, _ path: String, body: String? = nil, data: Data? = nil,
                 headers: [String: String] = [:]) async throws -> Reply {
        guard let url = URL(string: "http://127.0.0.1:\(port)\(path)") else { throw URLError(.badURL) }
        var request = URLRequest(url: url)
        request.httpMethod = method
        if let body { request.httpBody = Data(body.utf8) }
        if let data { request.httpBody = data }
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        let (data, response): (Data, URLResponse) = try await withCheckedThrowingContinuation { c in
            session.dataTask(with: request) { data, response, error in
                if let error { c.resume(throwing: error) } else if let response { c.resume(returning: (data ?? Data(), response)) } else {
                    c.resume(throwing: URLError(.badServerResponse))
                }
            }.resume()
        }
        guard let http = response as? HTTPURLResponse else { throw URLError(.badServerResponse) }
        var fields: [String: String] = [:]
        for (k, v) in http.allHeaderFields { fields["\(k)"] = "\(v)" }
        return Reply(status: http.statusCode, headers: fields, body: data)
    }
}

extension TestServer {
    /// Starts a POST whose reply is not awaited; cancel the returned task to close the connection.
    func startPost(_ path: String, body: String) -> URLSessionDataTask? {
        guard let url = URL(string: "http://127.0.0.1:\(port)\(path)") else { return nil }
        var request = URLRequest(url: url)
        request.httpMethod = "POST"
        request.httpBody = Data(body.utf8)
        let task = session.dataTask(with: request) { _, _, _ in }
        task.resume()
        return task
    }
}

/// Lines logged by the responder.
final class LogLines: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [String] = []
    func append(_ line: String) { lock.lock(); items.append(line); lock.unlock() }
    var all: [String] { lock.lock(); defer { lock.unlock() }; return items }
}
