// Pooling: the `<arch>.pooling_type` of a sentence-transformers folder, as llama.cpp's
// TextModel._try_set_pooling_type (conversion/base.py) reads it.
//
//   modules.json   [{"type": "sentence_transformers.models.Pooling", "path": "1_Pooling", …}, …]
//   1_Pooling/config.json
//     pooling_mode_mean_tokens: true → 1 (MEAN)
//     pooling_mode_cls_token:   true → 2 (CLS)
//     pooling_mode_lasttoken:   true → 3 (LAST)
//     or pooling_mode: "mean" | "cls" | "lasttoken"
// Anything else (max pooling, sqrt-len mean, …) has no GGUF pooling type and is an error.

import Foundation
import LoomJSON

enum Pooling {
    static let mean: UInt32 = 1, cls: UInt32 = 2, last: UInt32 = 3

    /// The pooling type of `folder`'s Pooling module; nil when it has no modules.json or no Pooling module.
    static func type(folder: HFModelFolder) throws(ConvertError) -> UInt32? {
        guard let modulesPath = folder.path("modules.json") else { return nil }
        let data = try readFile(modulesPath)
        let value: JSONValue
        do { value = try JSONValue.parse(data) } catch {
            throw .invalidJSON(file: "modules.json", reason: error.description)
        }
        guard let modules = value.arrayValue, modules.allSatisfy({ $0.members != nil }) else {
            throw .invalidJSON(file: "modules.json", reason: "the top level is not a list of modules")
        }
        guard let pooling = modules.first(where: { $0["type"]?.stringValue?.hasSuffix("Pooling") == true }) else { return nil }
        let dir = HFModelFolder.normalize(pooling["path"]?.stringValue ?? "")
        let rel = dir.isEmpty ? "config.json" : dir + "/config.json"
        guard let config = try folder.json(rel) else {
            throw .cannotRead(path: rel, reason: "modules.json names a Pooling module there, but the model folder has no such file")
        }
        if try config.boolIfPresent("pooling_mode_mean_tokens") == true { return mean }
        if try config.boolIfPresent("pooling_mode_cls_token") == true { return cls }
        if try config.boolIfPresent("pooling_mode_lasttoken") == true { return last }
        switch try config.stringIfPresent("pooling_mode") {
        case "mean": return mean
        case "cls": return cls
        case "lasttoken": return last
        case let other?: throw .unsupportedPooling(file: rel, reason: "pooling_mode '\(other)' is not supported")
        case nil: throw .unsupportedPooling(file: rel, reason: "none of mean, CLS or last-token pooling is enabled")
        }
    }
}
