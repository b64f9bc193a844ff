// Credentials: user names and passwords for registries, from a Docker-style config file — the
// convention OCI tools share (`docker login`, oras, crane):
//   {"auths": {"HOST[:PORT]": {"auth": "<base64 user:password>"} | {"username": …, "password": …}}}
// The file is $LOOM_REGISTRY_AUTH, else $DOCKER_CONFIG/config.json, else ~/.docker/config.json.
// Keys may carry a scheme or a path (`https://index.docker.io/v1/`); a key matches by host[:port].
// A missing or unreadable file means no credentials (anonymous access).

import Foundation

/// Basic credentials per registry host.
public struct Credentials: Sendable, Equatable {
    /// host[:port] → (user, password).
    public var entries: [String: Login]

    public struct Login: Sendable, Equatable {
        public var user: String
        public var password: String
        public init(user: String, password: String) { self.user = user; self.password = password }

        /// `Basic base64(user:password)`.
        public var basicHeader: String { "Basic " + Data("\(user):\(password)".utf8).base64EncodedString() }
    }

    public init(entries: [String: Login] = [:]) { self.entries = entries }

    /// The file the environment names (see the contract above), parsed; empty when there is none.
    public static func load(environment: [String: String] = ProcessInfo.processInfo.environment) -> Credentials {
        let path: String
        if let p = environment["LOOM_REGISTRY_AUTH"], !p.isEmpty { path = p } else if let d = environment["DOCKER_CONFIG"], !d.isEmpty {
            path = d + "/config.json"
        } else {
            path = NSHomeDirectory() + "/.docker/config.json"
        }
        guard let data = FileManager.default.contents(atPath: path) else { return Credentials() }
        return parse(data)
    }

    /// Parses a config file's bytes (entries that do not decode are skipped).
    public static func parse(_ data: Data) -> Credentials {
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
              let auths = root["auths"] as? [String: Any] else { return Credentials() }
        var out: [String: Login] = [:]
        for (key, value) in auths {
            guard let entry = value as? [String: Any] else { continue }
            if let auth = entry["auth"] as? String, let decoded = Data(base64Encoded: auth).map({ String(decoding: $0, as: UTF8.self) }),
               let colon = decoded.firstIndex(of: ":") {
                out[host(of: key)] = Login(user: String(decoded[..<colon]), password: String(decoded[decoded.index(after: colon)...]))
            } else if let user = entry["username"] as? String, let password = entry["password"] as? String {
                out[host(of: key)] = Login(user: user, password: password)
            }
        }
        return Credentials(entries: out)
    }

    /// The login for `host` (host[:port]), if any.
    public func login(for host: String) -> Login? { entries[host.lowercased()] }

    /// `https://h:p/v1/` → `h:p`, lowercased.
    static func host(of key: String) -> String {
        var s = Substring(key)
        if let r = s.range(of: "://") { s = s[r.upperBound...] }
        if let slash = s.firstIndex(of: "/") { s = s[..<slash] }
        return s.lowercased()
    }
}
