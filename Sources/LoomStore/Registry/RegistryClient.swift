// RegistryClient: HTTP to registries on async-http-client, with the two things every call needs —
// authentication and redirects — done once here:
//   401 + `WWW-Authenticate: Bearer realm,service,scope` → GET realm?service=…&scope=…&ts=…&nonce=…
//       (HTTP Basic with the host's Credentials when there are any, else signed with Ollama's ed25519
//       key when there is one: OllamaKey) → {"token"|"access_token": …} → retry with
//       `Authorization: Bearer …`; `Basic realm=…` → retry with the host's login. A second 401 (or no
//       login to offer) is RegistryError.unauthorized. Tokens are kept per registry host.
//   3xx + Location → followed (at most 10); the registry's Authorization goes only to its own host,
//       so a redirect to storage (a CDN, S3) carries none, as Ollama does.
// Everything else — 2xx, 404, 5xx — is returned to the caller, whose step knows what it means.

import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// Authenticated, redirect-following requests to registries.
public final class RegistryClient: Sendable {
    let http: HTTPClient
    let credentials: Credentials
    let key: OllamaKey?
    /// Registry host → the Authorization value that worked last.
    let authorizations = Mutex<[String: String]>([:])
    static let userAgent = "loom/0.1 (amd64 linux)"

    /// One HTTP client for the process (an HTTPClient must never be deinitialized unshut): no
    /// automatic redirects (this type follows them), 10 s to connect, 60 s without a byte is a stall.
    static let sharedHTTP: HTTPClient = {
        var configuration = HTTPClient.Configuration(redirectConfiguration: .disallow,
                                                     timeout: .init(connect: .seconds(10), read: .seconds(60)))
        configuration.connectionPool = .init(idleTimeout: .seconds(60), concurrentHTTP1ConnectionsPerHostSoftLimit: 16)
        configuration.decompression = .disabled
        return HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }()

    public init(credentials: Credentials = .load(), key: OllamaKey? = .load()) {
        http = Self.sharedHTTP
        self.credentials = credentials
        self.key = key
    }

    /// Sends `method url`; `body` makes a fresh body for each attempt (auth retries, redirects).
    /// Transport failures are RegistryError.transport; 401 after authenticating is .unauthorized.
    func send(_ method: HTTPMethod, _ url: String, headers: HTTPHeaders = [:],
              body: (@Sendable () -> HTTPClientRequest.Body)? = nil) async throws(RegistryError) -> HTTPClientResponse {
        var url = url
        var method = method
        var reauthenticated = false
        for _ in 0..<12 {
            let host = Self.hostPort(url)
            var request = HTTPClientRequest(url: url)
            request.method = method
            request.headers = headers
            request.headers.replaceOrAdd(name: "User-Agent", value: Self.userAgent)
            if let auth = authorizations.withLock({ $0[host] }) { request.headers.replaceOrAdd(name: "Authorization", value: auth) }
            request.body = body?()
            let response: HTTPClientResponse
            do { response = try await http.execute(request, timeout: .hours(24)) } catch {
                throw .transport("\(method) \(url): \(error)")
            }
            switch response.status.code {
            case 401:
                let challenge = response.headers.first(name: "WWW-Authenticate").flatMap(Challenge.init)
                await Self.drain(response)
                guard !reauthenticated, let challenge else { throw .unauthorized }
                reauthenticated = true
                let value = try await authorization(for: challenge, host: host)
                authorizations.withLock { $0[host] = value }
            case 301, 302, 303, 307, 308:
                guard let location = response.headers.first(name: "Location") else { return response }
                await Self.drain(response)
                url = Self.resolve(location, against: url)
                if response.status.code == 303 || (response.status.code != 307 && response.status.code != 308 && method == .POST) { method = .GET }
            default:
                return response
            }
        }
        throw .protocolViolation("\(url): too many redirects or authentication rounds")
    }

    /// The Authorization value a challenge asks for.
    func authorization(for challenge: Challenge, host: String) async throws(RegistryError) -> String {
        let login = credentials.login(for: host)
        switch challenge.scheme {
        case "basic":
            guard let login else { throw .unauthorized }
            return login.basicHeader
        case "bearer":
            guard let realm = challenge.realm, var components = URLComponents(string: realm) else { throw .unauthorized }
            var items = components.queryItems ?? []
            if let service = challenge.service { items.append(URLQueryItem(name: "service", value: service)) }
            for scope in (challenge.scope ?? "").split(separator: " ") { items.append(URLQueryItem(name: "scope", value: String(scope))) }
            items.append(URLQueryItem(name: "ts", value: String(Int(Date().timeIntervalSince1970))))
            let nonce = (0..<16).map { _ in UInt8.random(in: 0...255) }
            items.append(URLQueryItem(name: "nonce", value: Data(nonce).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")))
            components.queryItems = items
            guard let tokenURL = components.string else { throw .unauthorized }
            var request = HTTPClientRequest(url: tokenURL)
            request.headers.add(name: "User-Agent", value: Self.userAgent)
            if let login {
                request.headers.add(name: "Authorization", value: login.basicHeader)
            } else if let key {
                request.headers.add(name: "Authorization", value: try key.authorization(get: tokenURL))
            }
            let response: HTTPClientResponse
            do { response = try await http.execute(request, timeout: .seconds(60)) } catch {
                throw .transport("GET \(tokenURL): \(error)")
            }
            let data = await Self.body(response, limit: 1 << 20)
            guard response.status.code == 200 else { throw response.status.code == 401 || response.status.code == 403 ? .unauthorized : .status(Int(response.status.code), data) }
            guard let object = try? JSONSerialization.jsonObject(with: Data(data.utf8)) as? [String: Any],
                  let token = (object["token"] as? String) ?? (object["access_token"] as? String), !token.isEmpty else {
                throw .protocolViolation("token endpoint \(realm) answered without a token")
            }
            return "Bearer " + token
        default:
            throw .unauthorized
        }
    }

    // MARK: - helpers

    /// The body as text (at most `limit` bytes; errors and overlong bodies give what arrived).
    static func body(_ response: HTTPClientResponse, limit: Int) async -> String {
        var out = ByteBuffer()
        do {
            for try await var chunk in response.body {
                if out.readableBytes < limit { out.writeBuffer(&chunk) }
            }
        } catch {}
        return String(buffer: out.getSlice(at: out.readerIndex, length: min(out.readableBytes, limit)) ?? out)
            .trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// Reads and discards a body (so its connection can be reused).
    static func drain(_ response: HTTPClientResponse) async {
        do { for try await _ in response.body {} } catch {}
    }

    /// A registry answer that is not the expected one, as an error.
    static func failure(_ response: HTTPClientResponse) async -> RegistryError {
        let code = Int(response.status.code)
        if code == 401 || code == 403 { await drain(response); return .unauthorized }
        return .status(code, await body(response, limit: 4096))
    }

    /// `host[:port]` of an absolute URL, lowercased.
    static func hostPort(_ url: String) -> String {
        guard let c = URLComponents(string: url), let host = c.host else { return "" }
        return (c.port.map { "\(host):\($0)" } ?? host).lowercased()
    }

    /// `location` resolved against `base`.
    static func resolve(_ location: String, against base: String) -> String {
        if location.contains("://") { return location }
        return URL(string: location, relativeTo: URL(string: base))?.absoluteString ?? location
    }
}
