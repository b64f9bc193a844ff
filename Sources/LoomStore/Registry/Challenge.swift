// Challenge: a registry's `WWW-Authenticate` header (RFC 7235): `Bearer realm="…",service="…",
// scope="…"` (token auth: fetch a token from the realm) or `Basic realm="…"` (htpasswd).

import Foundation

/// One parsed authentication challenge.
public struct Challenge: Sendable, Equatable {
    /// Lowercased scheme: `bearer` or `basic`.
    public var scheme: String
    /// Lowercased parameter names → values (quotes removed, `\` escapes resolved).
    public var parameters: [String: String]

    public var realm: String? { parameters["realm"] }
    public var service: String? { parameters["service"] }
    public var scope: String? { parameters["scope"] }

    /// Parses a header value; nil when it has no scheme.
    public init?(_ header: String) {
        let trimmed = header.trimmingCharacters(in: .whitespaces)
        guard let space = trimmed.firstIndex(of: " ") ?? (trimmed.isEmpty ? nil : trimmed.endIndex) else { return nil }
        scheme = trimmed[..<space].lowercased()
        parameters = [:]
        var rest = Substring(trimmed[space...])
        while true {
            rest = rest.drop { $0 == " " || $0 == "," }
            guard let eq = rest.firstIndex(of: "=") else { break }
            let key = rest[..<eq].trimmingCharacters(in: .whitespaces).lowercased()
            rest = rest[rest.index(after: eq)...]
            var value = ""
            if rest.first == "\"" {
                rest = rest.dropFirst()
                var escaped = false
                while let c = rest.first {
                    rest = rest.dropFirst()
                    if escaped { value.append(c); escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { break } else { value.append(c) }
                }
            } else {
                let end = rest.firstIndex(of: ",") ?? rest.endIndex
                value = rest[..<end].trimmingCharacters(in: .whitespaces)
                rest = rest[end...]
            }
            if !key.isEmpty { parameters[key] = value }
        }
    }
}
