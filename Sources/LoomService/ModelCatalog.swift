// ModelCatalog: model name → GGUF file. Until the model store lands (its issue), models come from a
// directory of GGUF files named after the model: `smollm2:135m.gguf` answers to `smollm2:135m`, and
// `name.gguf` (or `name:latest.gguf`) to `name` / `name:latest`. Names are validated with Ollama's
// grammar (§2.1) and matched case-insensitively (§2.2); the display form is the short one with the
// tag always shown (`smollm2:135m`, `llama3.2:latest`); names are LoomStore's ModelName.

import Foundation
import LoomAPI
import LoomStore

/// A model the catalog found.
public struct ModelEntry: Sendable, Equatable {
    /// Short display name with tag (`smollm2:135m`).
    public var name: String
    /// The GGUF file.
    public var path: String
    /// The model's SYSTEM prompt (from its store manifest).
    public var system: String? = nil
    /// The model's TEMPLATE (Jinja, from its store manifest), replacing the GGUF's chat template.
    public var template: String? = nil
    /// The model's PARAMETERs (options object, from its store manifest).
    public var parameters: JSONValue? = nil
    /// sha256 hex of the manifest ("" outside the store).
    public var digest: String = ""
}

/// Where models come from.
public protocol ModelCatalog: Sendable {
    /// The model called `name`; 400 «invalid model name» or 404 «model 'x' not found».
    func resolve(_ name: String) throws(APIError) -> ModelEntry
}

/// Models as `<name>.gguf` files in one directory.
public struct DirectoryCatalog: ModelCatalog {
    public let directory: String

    public init(directory: String) { self.directory = directory }

    public func resolve(_ name: String) throws(APIError) -> ModelEntry {
        guard let wanted = ModelName(name)?.display else { throw .badRequest("invalid model name") }
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for file in files.sorted() where file.hasSuffix(".gguf") {
            let base = String(file.dropLast(5))
            if let found = ModelName(base)?.display, found.lowercased() == wanted.lowercased() {
                return ModelEntry(name: found, path: directory + "/" + file)
            }
        }
        throw .notFound("model '\(name)' not found")
    }
}
