// Embedder: an encoder model (BERT family) loaded for embeddings — the embeddable API.
//
//   let embedder = try Embedder.load(path: "all-minilm.gguf")
//   let result = try await embedder.embed(["first text", "second text"])
//
// A request's inputs are tokenized (CLS … SEP), fitted to the context, and packed into batches of
// at most `batchSize` tokens (a longer single input gets a batch of its own); each batch is one
// forward pass, so the weights stream once per batch rather than once per input. Compute runs on
// a thread of its own, never on Swift's cooperative pool; requests are serialized.

import LoomGGUF
import LoomKernels
import LoomModels
import LoomTokenizers

/// An encoder model loaded for embeddings.
public final class Embedder: TextEmbedder, @unchecked Sendable {
    public let vocabulary: Vocabulary
    public let tokenizer: any Tokenizer
    let model: any EncoderModel
    /// The forward pass's buffers, allocated once (requests are serialized by `lock`).
    let state: EncoderState
    let pool: ThreadPool
    let inputs: EmbeddingInputs
    /// Most tokens per forward pass.
    public let batchSize: Int
    let lock = NSLockLite()
    /// The matmul implementation. Encoders always take f32 activations: BERT's hidden states have
    /// outlier dimensions that the int8 activation path (per-32 blocks, as ggml's) rounds badly —
    /// on all-MiniLM-L6-v2 Q8_0 it cost up to 0.0014 of cosine to the reference (the empty input:
    /// 0.9981 vs 0.99955 with f32 activations, which is the weights' own rounding). The AVX2 build
    /// loads the layers as F32/F16 panels (quantized weights expanded), so `.auto` is already f32;
    /// the portable build keeps quantized weights and takes `.openBLAS` (dequantized tiles).
    var matmulPath = MatMulPath.auto
    /// Nanoseconds `load` took; reported by the first request.
    public internal(set) var loadDuration: UInt64 = 0
    var loadReported = false

    /// The context length: the most tokens per input, special tokens included.
    public var contextLength: Int { inputs.context }
    public var embeddingLength: Int { model.shape.dim }
    /// How a sequence's hidden states become its vector (the model's `bert.pooling_type`).
    public var pooling: PoolingType { model.pooling }

    /// Loads an encoder GGUF (an encoder architecture of `ModelRegistry`); `contextLength` is
    /// clamped to the model's.
    public static func load(path: String, contextLength: Int = 4096, threads: Int? = nil,
                            batchSize: Int = 2048) throws(EngineError) -> Embedder {
        try load(info: ModelInfo(path: path), contextLength: contextLength, threads: threads, batchSize: batchSize)
    }

    /// `load(path:…)` of a file already opened.
    public static func load(info: ModelInfo, contextLength: Int = 4096, threads: Int? = nil,
                            batchSize: Int = 2048) throws(EngineError) -> Embedder {
        let start = GenerationJob.now()
        guard case let .encoder(type) = info.architecture else {
            throw .load("'\(info.architectureName)' is not an encoder architecture")
        }
        do {
            let vocabulary = try Vocabulary(metadata: info.file.metadata)
            let model = try type.init(architecture: info.architectureName, metadata: info.metadata, weights: GGUFWeightSource(file: info.file))
            let e = Embedder(vocabulary: vocabulary, tokenizer: try Tokenizers.make(vocabulary), model: model,
                             contextLength: max(3, min(contextLength, model.shape.contextLength)),
                             threads: threads ?? ThreadPool.shared.threadCount, batchSize: max(1, batchSize))
            e.loadDuration = GenerationJob.now() - start
            return e
        } catch {
            throw .load("\(error)")
        }
    }

    init(vocabulary: Vocabulary, tokenizer: any Tokenizer, model: any EncoderModel, contextLength: Int, threads: Int, batchSize: Int) {
        self.vocabulary = vocabulary
        self.tokenizer = tokenizer
        self.model = model
        self.batchSize = batchSize
        pool = ThreadPool(threads: threads)
        state = model.makeState(batch: batchSize, threads: threads)
        inputs = EmbeddingInputs(tokenizer: tokenizer, context: contextLength)
        if model.weightType.isQuantized { matmulPath = .openBLAS }
    }

    public func embed(_ texts: [String], options: EmbedOptions) async throws -> Embeddings {
        try await ComputeThread.run(locked: lock) { () throws(EngineError) in try self.embedNow(texts, options: options) }
    }

    /// The request, on the calling thread.
    func embedNow(_ texts: [String], options: EmbedOptions) throws(EngineError) -> Embeddings {
        let start = GenerationJob.now()
        let sequences = try inputs.tokens(texts, truncate: options.truncate)
        var vectors: [[Float]] = []
        vectors.reserveCapacity(sequences.count)
        for batch in Self.batches(sequences.map(\.count), limit: batchSize) {
            vectors += model.encode(Array(sequences[batch]), state: state, pool: pool, path: matmulPath)
        }
        var result = Embeddings(vectors: try vectors.map { v throws(EngineError) in try EmbeddingInputs.finish(v, options) })
        result.promptEvalCount = sequences.reduce(0) { $0 + $1.count }
        if !loadReported { result.loadDuration = loadDuration; loadReported = true }
        result.totalDuration = GenerationJob.now() - start
        return result
    }

    /// Consecutive index ranges whose lengths sum to ≤ `limit` (an over-long one stands alone).
    static func batches(_ lengths: [Int], limit: Int) -> [Range<Int>] {
        var out: [Range<Int>] = [], start = 0, tokens = 0
        for (i, n) in lengths.enumerated() {
            if i > start && tokens + n > limit {
                out.append(start..<i)
                start = i
                tokens = 0
            }
            tokens += n
        }
        if start < lengths.count { out.append(start..<lengths.count) }
        return out
    }
}
