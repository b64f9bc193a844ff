// StoreCatalog: model names resolved through Ollama's store (manifests + blobs), falling back to a
// directory of `<name>.gguf` files for models not in the store.

import Foundation
import LoomAPI
import LoomStore

/// Models from a ModelStore (then from `fallback`).
public struct StoreCatalog: ModelCatalog {
    public let store: ModelStore
    let fallback: DirectoryCatalog

    public init(store: ModelStore) {
        self.store = store
        fallback = DirectoryCatalog(directory: store.root)
    }

    public func resolve(_ name: String) throws(APIError) -> ModelEntry {
        guard let parsed = LoomStore.ModelName(name) else { throw .badRequest("invalid model name") }
        guard let model = store.find(parsed) else { return try fallback.resolve(name) }
        guard let layer = model.manifest.layer(.model), let path = try? store.blobPath(layer.digest),
              FileManager.default.fileExists(atPath: path) else {
            throw .internalError("model '\(name)' has no weights blob")
        }
        var entry = ModelEntry(name: model.name.display, path: path, digest: model.digest)
        entry.system = text(model.manifest.layer(.system))
        entry.template = text(model.manifest.layer(.template))
        if let params = text(model.manifest.layer(.params)) {
            entry.parameters = try? JSONValue.parse(params)
        }
        return entry
    }

    func text(_ layer: Layer?) -> String? {
        guard let layer, let path = try? store.blobPath(layer.digest), let data = FileManager.default.contents(atPath: path) else { return nil }
        return String(decoding: data, as: UTF8.self)
    }
}
