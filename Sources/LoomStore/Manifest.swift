// Manifest (Ollama §13.2): a Docker distribution v2 manifest whose layers are Ollama's media types.
//
//   {"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",
//    "config":{"mediaType":"application/vnd.docker.container.image.v1+json","digest":"sha256:…","size":N},
//    "layers":[{"mediaType":"application/vnd.ollama.image.model","digest":"sha256:…","size":N,"from":"…"}, …]}

/// One blob a manifest refers to.
public struct Layer: Sendable, Hashable, Codable {
    public var mediaType: String
    public var digest: String
    public var size: Int
    public var from: String?
    public var name: String?

    public init(mediaType: String, digest: String, size: Int, from: String? = nil, name: String? = nil) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.from = from
        self.name = name
    }

    /// Media types of model layers (`application/vnd.ollama.image.*`).
    public enum Kind: String, Sendable, CaseIterable {
        case model, projector, adapter, template, system, params, messages, license
        public var mediaType: String { "application/vnd.ollama.image.\(rawValue)" }
    }
}

/// A model's manifest.
public struct Manifest: Sendable, Hashable, Codable {
    public var schemaVersion = 2
    public var mediaType = "application/vnd.docker.distribution.manifest.v2+json"
    public var config: Layer
    public var layers: [Layer]

    public init(config: Layer, layers: [Layer]) {
        self.config = config
        self.layers = layers
    }

    /// The first layer of `kind`.
    public func layer(_ kind: Layer.Kind) -> Layer? { layers.first { $0.mediaType == kind.mediaType } }

    /// Every digest it refers to (config included).
    public var digests: [String] { [config.digest] + layers.map(\.digest) }

    /// Bytes of all layers plus the config (what /api/tags reports as `size`).
    public var totalSize: Int { config.size + layers.reduce(0) { $0 + $1.size } }
}

/// The config blob (`application/vnd.docker.container.image.v1+json`).
public struct ModelConfig: Sendable, Hashable, Codable {
    public var modelFormat = "gguf"
    public var modelFamily: String
    public var modelFamilies: [String]
    public var modelType: String
    public var fileType: String
    public var architecture = "amd64"
    public var os = "linux"

    enum CodingKeys: String, CodingKey {
        case architecture, os
        case modelFormat = "model_format", modelFamily = "model_family", modelFamilies = "model_families"
        case modelType = "model_type", fileType = "file_type"
    }

    public init(modelFamily: String, modelType: String, fileType: String) {
        self.modelFamily = modelFamily
        modelFamilies = [modelFamily]
        self.modelType = modelType
        self.fileType = fileType
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        modelFormat = try c.decodeIfPresent(String.self, forKey: .modelFormat) ?? "gguf"
        modelFamily = try c.decodeIfPresent(String.self, forKey: .modelFamily) ?? ""
        modelFamilies = try c.decodeIfPresent([String].self, forKey: .modelFamilies) ?? [modelFamily]
        modelType = try c.decodeIfPresent(String.self, forKey: .modelType) ?? ""
        fileType = try c.decodeIfPresent(String.self, forKey: .fileType) ?? ""
        architecture = try c.decodeIfPresent(String.self, forKey: .architecture) ?? "amd64"
        os = try c.decodeIfPresent(String.self, forKey: .os) ?? "linux"
    }
}
