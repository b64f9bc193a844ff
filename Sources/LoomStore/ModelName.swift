// Model names (Ollama §2): `[scheme://][host/][namespace/]model[:tag]`, parsed right to left, with
// defaults host registry.ollama.ai, namespace library, tag latest. Part rules:
//   host       first [A-Za-z0-9_], then alnum _ - . :   1–350
//   namespace  first [A-Za-z0-9_], then alnum _ -       1–80
//   model, tag first [A-Za-z0-9_], then alnum _ - .     1–80
// Four path segments, an empty side of a separator, or an @digest are invalid.
// Display ("DisplayShortest"): host and namespace dropped when they are the defaults; tag always shown.

/// A parsed, valid model name.
public struct ModelName: Sendable, Hashable, CustomStringConvertible {
    public var host: String
    public var namespace: String
    public var model: String
    public var tag: String

    public static let defaultHost = "registry.ollama.ai"
    public static let defaultNamespace = "library"

    /// Parses `text`; nil if it is not a valid name.
    public init?(_ text: String) {
        var s = Substring(text)
        if let r = s.range(of: "://") { s = s[r.upperBound...] }
        guard !s.isEmpty, !s.contains("@") else { return nil }
        var tag = "latest"
        if let colon = s.lastIndex(of: ":"), !s[colon...].contains("/") {
            tag = String(s[s.index(after: colon)...])
            s = s[..<colon]
        }
        let parts = s.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard (1...3).contains(parts.count) else { return nil }
        model = parts[parts.count - 1]
        namespace = parts.count >= 2 ? parts[parts.count - 2] : Self.defaultNamespace
        host = parts.count == 3 ? parts[0] : Self.defaultHost
        self.tag = tag
        guard Self.valid(host, extra: "_-.:", max: 350), Self.valid(namespace, extra: "_-", max: 80),
              Self.valid(model, extra: "_-.", max: 80), Self.valid(tag, extra: "_-.", max: 80) else { return nil }
    }

    static func valid(_ part: String, extra: String, max: Int) -> Bool {
        guard let first = part.first, part.count <= max, first.isASCII, first.isLetter || first.isNumber || first == "_" else { return false }
        return part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || extra.contains($0)) }
    }

    /// `host/namespace/model:tag`.
    public var canonical: String { "\(host)/\(namespace)/\(model):\(tag)" }

    /// The short display form (`llama3.2:latest`, `user/m:tag`, `hf.co/u/r:tag`).
    public var display: String {
        if host == Self.defaultHost && namespace == Self.defaultNamespace { return "\(model):\(tag)" }
        if host == Self.defaultHost { return "\(namespace)/\(model):\(tag)" }
        return "\(host)/\(namespace)/\(model):\(tag)"
    }

    public var description: String { display }

    /// Path components of the manifest under `manifests/`.
    public var manifestComponents: [String] { [host, namespace, model, tag] }

    /// Case-insensitive equality of every part (§2.2).
    public func matches(_ other: ModelName) -> Bool {
        zip(manifestComponents, other.manifestComponents).allSatisfy { $0.lowercased() == $1.lowercased() }
    }
}
