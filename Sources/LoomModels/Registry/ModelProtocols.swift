// The two kinds of model the runtime drives, as protocols, so that the runtime holds `any
// DecoderModel` / `any EncoderModel` and never a concrete architecture:
//
//   decoder: tokens → logits, appending to a sequence's KV cache (llama, qwen2, …)
//   encoder: packed sequences → one pooled vector each (bert)
//
// An architecture reads its own hyperparameters (`ModelShape` is what the runtime needs of them:
// sizes for the KV cache, the context, the memory estimate) and binds its weights by GGUF name.
// A sequence's state (`DecoderState`: the KV cache and the forward pass's buffers) is made by the
// model once per sequence, so a forward pass allocates nothing but its result.

import LoomKernels
import LoomTensor

/// What the runtime needs to know of a model's hyperparameters.
public struct ModelShape: Sendable, Equatable {
    public var layers: Int
    /// Width of the residual stream.
    public var dim: Int
    /// Key/value heads and their width: a KV cache row is kvHeads · headDim values.
    public var kvHeads: Int
    public var headDim: Int
    /// Rows of the output (logits per token); for an encoder, its token embedding rows.
    public var vocabulary: Int
    /// The longest context the model was trained for.
    public var contextLength: Int

    /// A shape of these sizes.
    public init(layers: Int, dim: Int, kvHeads: Int, headDim: Int, vocabulary: Int, contextLength: Int) {
        self.layers = layers
        self.dim = dim
        self.kvHeads = kvHeads
        self.headDim = headDim
        self.vocabulary = vocabulary
        self.contextLength = contextLength
    }

    /// Bytes of a KV cache of `positions` positions of `bytesPerValue`-byte elements.
    public func kvCacheBytes(positions: Int, bytesPerValue: Int) -> Int {
        2 * layers * positions * kvHeads * headDim * bytesPerValue
    }

    /// Bytes of a KV cache of `positions` positions of `type` (as `KVCache.byteCount`).
    public func kvCacheBytes(positions: Int, type: KVCacheType) -> Int {
        2 * layers * positions * type.rowBytes(kvHeads * headDim)
    }
}

/// What a forward pass returns.
public enum ForwardOutput: Sendable {
    /// Logits of the last token: [vocab].
    case lastLogits
    /// Logits of every token: [T, vocab] (perplexity).
    case allLogits
    /// The last token's final-normed hidden state: [dim] (a generator's embedding).
    case lastHidden
}

/// A decoder-only language model.
public protocol DecoderModel: AnyObject, Sendable {
    /// Reads the hyperparameters of `architecture` (a `general.architecture` value) from `metadata`.
    static func shape(architecture: String, metadata: any ModelMetadata) throws(ModelError) -> ModelShape
    /// Builds the model from its metadata and weights; reports every missing tensor at once.
    init(architecture: String, metadata: any ModelMetadata, weights: any WeightSource) throws(ModelError)
    /// The model's sizes.
    var shape: ModelShape { get }
    /// A sequence's state: a KV cache of `capacity` positions in `cacheType`, and buffers for
    /// forward passes of up to `batch` tokens on `threads` threads (grown if a pass needs more).
    func makeState(capacity: Int, cacheType: KVCacheType, batch: Int, threads: Int) -> DecoderState
    /// Runs `tokens` at positions `state.cache.count…`, appends their keys and values to the cache,
    /// and returns `output`. `path` pins the matmul implementation (`.openBLAS` = f32 activations).
    func forward(_ tokens: [Int32], state: DecoderState, pool: ThreadPool, output: ForwardOutput, path: MatMulPath) -> [Float]
    /// Drops cached positions keep..<keep+discard and moves the later ones down (context shift).
    func shift(_ state: DecoderState, keep: Int, discard: Int)
    /// One pass over several sequences at once (continuous batching): each entry's tokens run at
    /// its own positions against its own cache, the matmuls read every weight row once for all of
    /// them, and each entry gets its last token's logits — the same bits as `forward` would give
    /// it alone. `workspace` (a state of this model) holds the pass's activations.
    func forward(batch: [BatchEntry], workspace: DecoderState, pool: ThreadPool) -> [[Float]]
}

/// One sequence's part of a batched pass.
public struct BatchEntry: @unchecked Sendable {
    public var tokens: [Int32]
    public var state: DecoderState

    public init(tokens: [Int32], state: DecoderState) {
        self.tokens = tokens
        self.state = state
    }
}

extension DecoderModel {
    /// Entry by entry (models without a batched pass).
    public func forward(batch: [BatchEntry], workspace: DecoderState, pool: ThreadPool) -> [[Float]] {
        batch.map { forward($0.tokens, state: $0.state, pool: pool, output: .lastLogits, path: .auto) }
    }
}

/// An encoder that embeds whole sequences (BERT family).
public protocol EncoderModel: AnyObject, Sendable {
    /// Reads the hyperparameters of `architecture` from `metadata`.
    static func shape(architecture: String, metadata: any ModelMetadata) throws(ModelError) -> ModelShape
    /// Builds the model from its metadata and weights; reports every missing tensor at once.
    init(architecture: String, metadata: any ModelMetadata, weights: any WeightSource) throws(ModelError)
    /// The model's sizes.
    var shape: ModelShape { get }
    /// How a sequence's hidden states become its vector.
    var pooling: PoolingType { get }
    /// The element type the layers' matmuls read (decides the runtime's matmul path).
    var weightType: GGMLType { get }
    /// Buffers for packed batches of up to `batch` tokens on `threads` threads (grown if a batch
    /// needs more).
    func makeState(batch: Int, threads: Int) -> EncoderState
    /// One pooled vector [dim] per sequence (each ≤ contextLength tokens), in one packed pass.
    func encode(_ sequences: [[Int32]], state: EncoderState, pool: ThreadPool, path: MatMulPath) -> [[Float]]
}

/// An encoder's run state: the buffers its forward pass writes. Models subclass it (`BertState`).
open class EncoderState: @unchecked Sendable {
    /// Rows (tokens) a batch may have without growing the buffers.
    public internal(set) var capacity = 0

    /// An empty state.
    public init() {}

    /// Bytes the state holds.
    open var byteCount: Int { 0 }
}

/// A decoding sequence's state: its KV cache, and the buffers its model's forward pass writes.
/// Models subclass it with their buffers (see `LlamaState`).
open class DecoderState: @unchecked Sendable {
    /// Keys and values of the positions seen so far.
    public let cache: KVCache

    /// A state around `cache`.
    public init(cache: KVCache) { self.cache = cache }

    /// Bytes the state holds (the cache; subclasses add their buffers).
    open var byteCount: Int { cache.byteCount }
}

extension EncoderModel {
    /// `encode` with buffers of its own (one batch; an embedder keeps a state instead).
    public func encode(_ sequences: [[Int32]], pool: ThreadPool, path: MatMulPath = .auto) -> [[Float]] {
        encode(sequences, state: makeState(batch: sequences.reduce(0) { $0 + $1.count }, threads: pool.threadCount), pool: pool, path: path)
    }
}

extension DecoderModel {
    /// A state for a sequence of up to `capacity` positions (buffers grow to what passes need).
    public func makeState(capacity: Int, cacheType: KVCacheType = .f16) -> DecoderState {
        makeState(capacity: capacity, cacheType: cacheType, batch: 1, threads: 1)
    }

    /// `forward` on the default matmul path.
    public func forward(_ tokens: [Int32], state: DecoderState, pool: ThreadPool, output: ForwardOutput = .lastLogits) -> [Float] {
        forward(tokens, state: state, pool: pool, output: output, path: .auto)
    }
}
