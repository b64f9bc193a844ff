// ModelInfo: a model file read once. Opening maps the GGUF and parses its header (the only parse
// of a cold load), looks `general.architecture` up in the model registry — an unknown one fails
// here, naming it and the supported ones — and reads the hyperparameter shape. Loading
// (`LoadedModel.load(info:)`), the scheduler's memory estimate and Ollama's model details all take
// this value instead of reopening the file.

import LoomGGUF
import LoomModels
import LoomTensor

/// A model file's header, architecture and sizes.
public final class ModelInfo: Sendable {
    /// The file's path.
    public let path: String
    /// The opened file (its tensor bytes stay mapped while this value lives).
    public let file: GGUFFile
    /// `general.architecture`.
    public let architectureName: String
    /// The registry's entry for it.
    public let architecture: Architecture
    /// The sizes the hyperparameters declare.
    public let shape: ModelShape

    /// Opens `path`: one parse of the header; a typed error for a bad file or an unknown architecture.
    public init(path: String) throws(EngineError) {
        do {
            file = try GGUFFile(path: path)
        } catch {
            throw .load("\(error)")
        }
        self.path = path
        let metadata = GGUFModelMetadata(file.metadata)
        do {
            guard let arch = try metadata.string("general.architecture") else { throw ModelError.missingMetadata("general.architecture") }
            architectureName = arch
            architecture = try ModelRegistry.architecture(arch)
            shape = try architecture.shape(architecture: arch, metadata: metadata)
        } catch let ModelError.unknownArchitecture(name, supported) {
            throw .unknownArchitecture(name, supported: supported)
        } catch {
            throw .load("\(error)")
        }
    }

    /// The metadata as architectures read it.
    public var metadata: GGUFModelMetadata { GGUFModelMetadata(file.metadata) }

    /// Whether the model only embeds.
    public var isEncoder: Bool { architecture.isEncoder }

    /// The file's Jinja chat template (`tokenizer.chat_template`), if any.
    public var chatTemplate: String? { (try? file.metadata.stringIfPresent("tokenizer.chat_template")) ?? nil }

    /// Bytes of the file.
    public var fileSize: Int { file.fileSize }

    /// The decoder itself, bound to the file's weights (for tools that drive the forward pass
    /// directly: perplexity, benchmarks); `Engine.load(info:)` wraps it with a tokenizer and cache.
    public func loadDecoder() throws(EngineError) -> any DecoderModel {
        guard case let .decoder(type) = architecture else { throw .embeddingOnly }
        do {
            return try type.init(architecture: architectureName, metadata: metadata, weights: GGUFWeightSource(file: file))
        } catch {
            throw .load("\(error)")
        }
    }
}
