// ModelCatalog: model name → GGUF file. Until the model store lands (its issue), models come from a
// directory of GGUF files named after the model: `smollm2:135m.gguf` answers to `smollm2:135m`, and
// `name.gguf` (or `name:latest.gguf`) to `name` / `name:latest`. Names are validated with Ollama's
// grammar (§2.1) and matched case-insensitively (§2.2); the display form is the short one with the
// tag always shown (`smollm2:135m`, `llama3.2:latest`).

import Foundation
import LoomAPI

/// A model the catalog found.
public struct ModelEntry: Sendable, Equatable {
    /// Short display name with tag (`smollm2:135m`).
    public var name: String
    /// The GGUF file.
    public var path: String
}

/// Where models come from.
public protocol ModelCatalog: Sendable {
    /// The model called `name`; 400 «invalid model name» or 404 «model 'x' not found».
    func resolve(_ name: String) throws(APIError) -> ModelEntry
}

/// Model names (§2.1), reduced to what a directory of files needs: [namespace/]model[:tag].
public enum ModelName {
    /// `name` in short display form with its tag (`llama3.2` → `llama3.2:latest`); nil if invalid.
    public static func normalize(_ name: String) -> String? {
        var s = Substring(name.trimmingCharacters(in: .whitespaces))
        for prefix in ["registry.ollama.ai/library/", "library/", "registry.ollama.ai/"] where s.lowercased().hasPrefix(prefix) {
            s = s.dropFirst(prefix.count)
            break
        }
        var tag = "latest"
        if let colon = s.lastIndex(of: ":"), !s[colon...].contains("/") {
            tag = String(s[s.index(after: colon)...])
            s = s[..<colon]
        }
        let parts = s.split(separator: "/", omittingEmptySubsequences: false)
        guard (1...2).contains(parts.count), parts.allSatisfy({ valid($0, dots: true) }), valid(Substring(tag), dots: true) else { return nil }
        if parts.count == 2 && parts[0].contains(".") { return nil }
        return "\(s):\(tag)"
    }

    static func valid(_ part: Substring, dots: Bool) -> Bool {
        guard let first = part.first, part.count <= 80, first.isASCII, first.isLetter || first.isNumber || first == "_" else { return false }
        return part.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" || (dots && $0 == ".")) }
    }
}

/// Models as `<name>.gguf` files in one directory.
public struct DirectoryCatalog: ModelCatalog {
    public let directory: String

    public init(directory: String) { self.directory = directory }

    public func resolve(_ name: String) throws(APIError) -> ModelEntry {
        guard let wanted = ModelName.normalize(name) else { throw .badRequest("invalid model name") }
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
        for file in files.sorted() where file.hasSuffix(".gguf") {
            let base = String(file.dropLast(5))
            if ModelName.normalize(base)?.lowercased() == wanted.lowercased() {
                return ModelEntry(name: ModelName.normalize(base) ?? wanted, path: directory + "/" + file)
            }
        }
        throw .notFound("model '\(name)' not found")
    }
}
