// HFModelFolder: a Hugging Face model folder as a map of relative file names to paths on disk.
//
// The folder is whatever `save_pretrained` / `huggingface-cli download` leaves:
//   config.json                      hyperparameters; "architectures"[0] picks the conversion
//   model.safetensors                weights, or model-0000k-of-0000n.safetensors shards
//   model.safetensors.index.json     (optional) {"weight_map": {tensor name: shard file}}
//   tokenizer.json, tokenizer_config.json, special_tokens_map.json, vocab.txt, chat_template.jinja
//   modules.json, 1_Pooling/config.json      (sentence-transformers embedding models)
// It is described by a map rather than a directory so that files scattered elsewhere (e.g. blobs
// uploaded to /api/create, named by digest) can be converted without copying them together.

import Foundation
import LoomJSON

/// A Hugging Face model folder: relative file names → absolute paths.
public struct HFModelFolder: Sendable {
    /// Relative path inside the folder ("config.json", "1_Pooling/config.json") → path on disk.
    public let files: [String: String]
    /// config.json's "architectures"[0], e.g. "LlamaForCausalLM".
    public let architecture: String
    /// The model's name for `general.name` (the directory name, or config.json's `_name_or_path`).
    public var name: String

    /// A folder from explicit files; needs at least a config.json that names an architecture.
    public init(files: [String: String]) throws(ConvertError) {
        var normalized: [String: String] = [:]
        for (rel, path) in files { normalized[Self.normalize(rel)] = path }
        guard let configPath = normalized["config.json"] else { throw .missingConfig }
        let config = try JSONObject.load(path: configPath, file: "config.json")
        guard let list = try config.arrayIfPresent("architectures") else {
            throw .missingKey(file: "config.json", key: "architectures")
        }
        guard let first = list.first?.stringValue else {
            throw .invalidValue(file: "config.json", key: "architectures", expected: "a non-empty list of names",
                                found: list.first?.shortDescription ?? "an empty list")
        }
        self.files = normalized
        architecture = first
        let origin = try? config.stringIfPresent("_name_or_path")
        name = origin.flatMap { $0.split(separator: "/").last.map(String.init) } ?? "model"
    }

    /// Every regular file under `directory`, recursively (hidden files and folders skipped).
    public init(directory: String) throws(ConvertError) {
        let root = URL(fileURLWithPath: directory).standardizedFileURL
        var isDir: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isDir), isDir.boolValue else {
            throw .cannotRead(path: directory, reason: "not a directory")
        }
        var files: [String: String] = [:]
        let keys: [URLResourceKey] = [.isRegularFileKey]
        if let walker = FileManager.default.enumerator(at: root, includingPropertiesForKeys: keys, options: [.skipsHiddenFiles]) {
            for case let url as URL in walker {
                guard (try? url.resourceValues(forKeys: Set(keys)))?.isRegularFile == true else { continue }
                let full = url.standardizedFileURL.path
                guard full.hasPrefix(root.path + "/") else { continue }
                files[String(full.dropFirst(root.path.count + 1))] = full
            }
        }
        try self.init(files: files)
        name = root.lastPathComponent
    }

    static func normalize(_ rel: String) -> String {
        var r = rel
        while r.hasPrefix("./") { r.removeFirst(2) }
        while r.hasPrefix("/") { r.removeFirst() }
        return r
    }

    /// The path of `rel`, if the folder has it.
    func path(_ rel: String) -> String? { files[rel] }

    /// The parsed JSON object `rel`, nil when the folder does not have it.
    func json(_ rel: String) throws(ConvertError) -> JSONObject? {
        guard let p = files[rel] else { return nil }
        return try JSONObject.load(path: p, file: rel)
    }

    /// The text of `rel` (UTF-8), nil when the folder does not have it.
    func text(_ rel: String) throws(ConvertError) -> String? {
        guard let p = files[rel] else { return nil }
        return String(decoding: try readFile(p), as: UTF8.self)
    }

    /// config.json.
    func config() throws(ConvertError) -> JSONObject {
        guard let c = try json("config.json") else { throw .missingConfig }
        return c
    }
}
