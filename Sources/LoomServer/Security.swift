// CORS and the Host check (§1.5). Allowed origins: OLLAMA_ORIGINS entries (comma-separated, `*`
// wildcards) plus http(s)://localhost, 127.0.0.1 and 0.0.0.0 (with any port), app://, file://,
// tauri://, vscode-webview:// and vscode-file://. A disallowed Origin → 403 with an empty body.
// When the listener is on a loopback address the Host header must name this machine (empty,
// localhost, *.localhost/.local/.internal, a loopback, private or unspecified IP, or the hostname).

import Foundation

/// Which browser origins and Host headers the server accepts.
public struct AccessPolicy: Sendable {
    let origins: [String]
    let checkHost: Bool

    /// `extraOrigins` from OLLAMA_ORIGINS; `loopbackListener` turns the Host check on.
    public init(extraOrigins: String?, loopbackListener: Bool) {
        var list: [String] = []
        for host in ["localhost", "127.0.0.1", "0.0.0.0"] {
            for scheme in ["http", "https"] { list += ["\(scheme)://\(host)", "\(scheme)://\(host):*"] }
        }
        list += ["app://*", "file://*", "tauri://*", "vscode-webview://*", "vscode-file://*"]
        let extra = (extraOrigins ?? "").split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        origins = extra + list
        checkHost = loopbackListener
    }

    /// Whether a request with this Origin header may proceed.
    public func allows(origin: String) -> Bool {
        origins.contains { Self.match(pattern: $0, origin) }
    }

    /// Whether a request with this Host header may proceed.
    public func allows(host: String?) -> Bool {
        guard checkHost, var h = host?.lowercased(), !h.isEmpty else { return true }
        if h.hasPrefix("[") { h = String(h.dropFirst().prefix { $0 != "]" }) }
        else if let colon = h.lastIndex(of: ":"), h.filter({ $0 == ":" }).count == 1 { h = String(h[..<colon]) }
        if h == "localhost" || h.hasSuffix(".localhost") || h.hasSuffix(".local") || h.hasSuffix(".internal") { return true }
        if h == ProcessInfo.processInfo.hostName.lowercased() { return true }
        let octets = h.split(separator: ".").compactMap { UInt8($0) }
        if octets.count == 4 && h.split(separator: ".").count == 4 {
            let (a, b) = (octets[0], octets[1])
            return a == 127 || a == 10 || a == 0 || (a == 172 && (16...31).contains(b)) || (a == 192 && b == 168) || (a == 169 && b == 254)
        }
        return h == "::1" || h == "::" || h.hasPrefix("fe80:") || h.hasPrefix("fc") || h.hasPrefix("fd")
    }

    /// `*` matches any run of characters.
    static func match(pattern: String, _ s: String) -> Bool {
        let parts = pattern.lowercased().components(separatedBy: "*")
        var rest = Substring(s.lowercased())
        guard rest.hasPrefix(parts[0]) else { return false }
        rest = rest.dropFirst(parts[0].count)
        if parts.count == 1 { return rest.isEmpty }
        for (i, part) in parts.dropFirst().enumerated() {
            let last = i == parts.count - 2
            if last { return part.isEmpty || rest.hasSuffix(part) }
            guard let r = rest.range(of: part) else { return false }
            rest = rest[r.upperBound...]
        }
        return true
    }
}
