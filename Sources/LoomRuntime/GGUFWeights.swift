// GGUF → model: the WeightSource over an opened GGUFFile, and llama hyperparameters from its
// metadata (`<arch>.block_count`, `.embedding_length`, …) with llama.cpp's defaults.

import LoomGGUF
import LoomKernels
import LoomModels
import LoomTensor

/// Tensors of a GGUF file (mmapped) by name.
public struct GGUFWeightSource: WeightSource {
    public let file: GGUFFile

    public init(file: GGUFFile) { self.file = file }

    public func tensor(_ name: String) -> WeightTensor? {
        guard let info = file.tensor(named: name) else { return nil }
        return WeightTensor(type: info.type, shape: info.shape, bytes: file.bytes(of: info))
    }
}

extension LlamaHyperparameters {
    /// Hyperparameters of a llama-family GGUF (general.architecture llama or qwen2).
    public init(metadata m: GGUFMetadata) throws(GGUFError) {
        let arch = try m.string("general.architecture")
        let dim = try m.int(arch + ".embedding_length")
        let heads = try m.int(arch + ".attention.head_count")
        let kvHeads = try m.integerIfPresent(arch + ".attention.head_count_kv", as: Int.self) ?? heads
        let headDim = try m.integerIfPresent(arch + ".attention.key_length", as: Int.self) ?? dim / heads
        let tokenCount = try m.strings("tokenizer.ggml.tokens").count
        let vocabulary = try m.integerIfPresent(arch + ".vocab_size", as: Int.self) ?? tokenCount
        self.init(layers: try m.int(arch + ".block_count"), dim: dim, heads: heads, kvHeads: kvHeads, headDim: headDim,
                  ffnDim: try m.int(arch + ".feed_forward_length"), vocabulary: vocabulary,
                  contextLength: try m.int(arch + ".context_length"),
                  rmsEps: try m.floatIfPresent(arch + ".attention.layer_norm_rms_epsilon") ?? 1e-5,
                  ropeBase: try m.floatIfPresent(arch + ".rope.freq_base") ?? 10_000,
                  ropeScale: 1 / (try m.floatIfPresent(arch + ".rope.scaling.factor") ?? 1),
                  ropeDims: try m.integerIfPresent(arch + ".rope.dimension_count", as: Int.self) ?? headDim,
                  ropeStyle: arch == "qwen2" ? .neox : .normal)
    }
}

extension BertHyperparameters {
    /// Hyperparameters of a BERT GGUF (general.architecture bert, as llama.cpp's converter writes it).
    public init(metadata m: GGUFMetadata) throws(GGUFError) {
        let arch = try m.string("general.architecture")
        let raw = try m.integerIfPresent(arch + ".pooling_type", as: Int.self) ?? PoolingType.mean.rawValue
        guard let pooling = PoolingType(rawValue: raw) else {
            throw .valueOutOfRange(key: arch + ".pooling_type", value: "\(raw)", target: "pooling (0 none, 1 mean, 2 cls, 3 last)")
        }
        var vocabulary = try m.integerIfPresent(arch + ".vocab_size", as: Int.self)
        if vocabulary == nil { vocabulary = try m.strings("tokenizer.ggml.tokens").count }
        self.init(layers: try m.int(arch + ".block_count"), dim: try m.int(arch + ".embedding_length"),
                  heads: try m.int(arch + ".attention.head_count"), ffnDim: try m.int(arch + ".feed_forward_length"),
                  vocabulary: vocabulary ?? 0,
                  contextLength: try m.int(arch + ".context_length"),
                  tokenTypes: try m.integerIfPresent("tokenizer.ggml.token_type_count", as: Int.self) ?? 2,
                  eps: try m.floatIfPresent(arch + ".attention.layer_norm_epsilon") ?? 1e-12,
                  pooling: pooling)
    }
}
