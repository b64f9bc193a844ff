// RegistryReference: where a model name lives on a registry (§2.1, §14). The name's host is the
// registry, `namespace/model` the repository, the tag the manifest reference. The scheme is https
// unless the name says `http://`, which needs `insecure`; `insecure` also downgrades https to http,
// as Ollama does.


/// A model name resolved to registry URLs.
public struct RegistryReference: Sendable, Equatable {
    public let name: ModelName
    /// `http` or `https`.
    public let scheme: String

    /// Parses `text` (`[scheme://][host/][namespace/]model[:tag]`).
    public init(_ text: String, insecure: Bool) throws(RegistryError) {
        guard let name = ModelName(text) else { throw .invalidName(text) }
        var scheme = "https"
        if let r = text.range(of: "://") { scheme = text[..<r.lowerBound].lowercased() }
        guard scheme == "http" || scheme == "https" else { throw .invalidName(text) }
        if scheme == "http" && !insecure { throw .insecureProtocol }
        self.init(name: name, scheme: insecure ? "http" : scheme)
    }

    public init(name: ModelName, scheme: String) {
        self.name = name
        self.scheme = scheme
    }

    /// `scheme://host`.
    public var base: String { "\(scheme)://\(name.host)" }
    /// `namespace/model`.
    public var repository: String { "\(name.namespace)/\(name.model)" }
    /// The manifest URL of the tag.
    public var manifestURL: String { "\(base)/v2/\(repository)/manifests/\(name.tag)" }
    /// The URL of one blob.
    public func blobURL(_ digest: String) -> String { "\(base)/v2/\(repository)/blobs/\(digest)" }
    /// Where uploads start.
    public var uploadsURL: String { "\(base)/v2/\(repository)/blobs/uploads/" }

    /// `location` (absolute, or relative to this registry) as an absolute URL.
    public func resolve(_ location: String) -> String {
        if location.contains("://") { return location }
        return base + (location.hasPrefix("/") ? location : "/" + location)
    }
}
