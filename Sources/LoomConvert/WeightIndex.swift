// WeightIndex: every tensor of a model folder's safetensors shards, by name.
//
// Shards are the files `model.safetensors.index.json`'s weight_map names when the index exists
// (each must be present), else every top-level `*.safetensors` file (sentence-transformers keep
// extra modules' weights in sub-folders such as 2_Dense/, which are not the transformer's). A name
// found in two shards is an error rather than a silent overwrite. Shards stay mapped for the
// index's lifetime; tensor bytes are read only when the GGUF writer asks for them.

import LoomJSON

/// One tensor and the shard holding it.
struct WeightRef: Sendable {
    let file: SafetensorsFile
    let tensor: SafetensorsTensor

    /// Shape, outermost first.
    var shape: [Int] { tensor.shape }
}

/// The tensors of all shards of a model folder.
struct WeightIndex: Sendable {
    /// The opened shards, in name order.
    let shards: [SafetensorsFile]
    private let byName: [String: WeightRef]

    /// All tensor names, sorted.
    var names: [String] { byName.keys.sorted() }

    /// The tensor named `name`.
    subscript(name: String) -> WeightRef? { byName[name] }

    /// Opens every shard of `folder`.
    init(folder: HFModelFolder) throws(ConvertError) {
        let shardNames = try Self.shardNames(folder)
        var shards: [SafetensorsFile] = []
        var byName: [String: WeightRef] = [:]
        for rel in shardNames {
            guard let path = folder.path(rel) else { throw .missingShard(file: rel, index: "model.safetensors.index.json") }
            let file = try SafetensorsFile(path: path, name: rel)
            shards.append(file)
            for t in file.tensors {
                if let previous = byName[t.name] { throw .duplicateTensor(t.name, files: [previous.file.name, rel]) }
                byName[t.name] = WeightRef(file: file, tensor: t)
            }
        }
        self.shards = shards
        self.byName = byName
    }

    static func shardNames(_ folder: HFModelFolder) throws(ConvertError) -> [String] {
        let indexName = "model.safetensors.index.json"
        if let index = try folder.json(indexName) {
            guard let map = try index.objectIfPresent("weight_map") else { throw .missingKey(file: indexName, key: "weight_map") }
            var names = Set<String>()
            for (tensor, value) in map.members {
                guard let shard = value.stringValue else {
                    throw .invalidValue(file: indexName, key: "weight_map.\(tensor)", expected: "a file name", found: value.shortDescription)
                }
                names.insert(HFModelFolder.normalize(shard))
            }
            for n in names where folder.path(n) == nil { throw .missingShard(file: n, index: indexName) }
            guard !names.isEmpty else { throw .noSafetensors(found: folder.files.keys.sorted()) }
            return names.sorted()
        }
        let top = folder.files.keys.filter { !$0.contains("/") && $0.hasSuffix(".safetensors") }.sorted()
        guard !top.isEmpty else { throw .noSafetensors(found: folder.files.keys.sorted()) }
        return top
    }
}
