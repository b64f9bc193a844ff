// LlamaState: one llama sequence's run state (llama2.c's RunState), allocated once with its KV
// cache and reused by every forward pass: the activations of a batch of up to `batch` tokens,
// attention score rows per thread (one per head of a grouped-attention tile), and the matmuls' scratch. A pass longer than `batch`
// (perplexity, an embedding of a long input) grows the buffers once.

import LoomKernels

/// The KV cache and forward-pass buffers of one llama sequence.
public final class LlamaState: DecoderState, @unchecked Sendable {
    /// Tokens the buffers hold.
    public private(set) var batch = 0
    private(set) var threads: Int
    let hp: LlamaHyperparameters
    private(set) var x = FloatBuffer(count: 0)     // [B, dim] residual stream
    private(set) var h = FloatBuffer(count: 0)     // [B, dim] normed (also the output rows)
    private(set) var q = FloatBuffer(count: 0)     // [B, nHead·hd]
    private(set) var k = FloatBuffer(count: 0)     // [B, nKV·hd]
    private(set) var v = FloatBuffer(count: 0)     // [B, nKV·hd]
    private(set) var att = FloatBuffer(count: 0)   // [B, nHead·hd] attention output
    private(set) var o = FloatBuffer(count: 0)     // [B, dim] projection output
    private(set) var g = FloatBuffer(count: 0)     // [B, ffn] gate, then swiglu
    private(set) var u = FloatBuffer(count: 0)     // [B, ffn] up
    private(set) var scores: FloatBuffer           // [threads, scoreRows, capacity] score rows per thread
    private(set) var positions = UnsafeMutablePointer<Int32>.allocate(capacity: 1)   // [B]
    private(set) var scratch: MatMulScratch

    init(hp: LlamaHyperparameters, capacity: Int, cacheType: KVCacheType, batch: Int, threads: Int) {
        self.hp = hp
        self.threads = threads
        scores = FloatBuffer(count: threads * AttentionShape.scoreRows(nHead: hp.heads, nKVHead: hp.kvHeads) * capacity)
        scratch = MatMulScratch(maxTokens: 1, maxCols: Self.maxCols(hp), threads: threads)
        super.init(cache: KVCache(layers: hp.layers, capacity: capacity, kvHeads: hp.kvHeads, headDim: hp.headDim, type: cacheType))
        reserve(max(1, batch), threads: threads)
    }

    deinit { positions.deallocate() }

    /// Floats of score rows one thread's attention call gets.
    var scoreRowsPerThread: Int { AttentionShape.scoreRows(nHead: hp.heads, nKVHead: hp.kvHeads) * cache.capacity }

    static func maxCols(_ hp: LlamaHyperparameters) -> Int { max(hp.dim, hp.ffnDim, hp.heads * hp.headDim) }

    /// Makes room for a pass of `tokens` tokens on `threads` threads (allocates only when either is
    /// more than ever before).
    func reserve(_ tokens: Int, threads newThreads: Int) {
        if newThreads > threads {
            threads = newThreads
            scores = FloatBuffer(count: threads * scoreRowsPerThread)
            scratch = MatMulScratch(maxTokens: max(batch, 1), maxCols: Self.maxCols(hp), threads: threads)
        }
        guard tokens > batch else { return }
        let qDim = hp.heads * hp.headDim, kvDim = hp.kvHeads * hp.headDim
        x = FloatBuffer(count: tokens * hp.dim)
        h = FloatBuffer(count: tokens * hp.dim)
        q = FloatBuffer(count: tokens * qDim)
        k = FloatBuffer(count: tokens * kvDim)
        v = FloatBuffer(count: tokens * kvDim)
        att = FloatBuffer(count: tokens * qDim)
        o = FloatBuffer(count: tokens * hp.dim)
        g = FloatBuffer(count: tokens * hp.ffnDim)
        u = FloatBuffer(count: tokens * hp.ffnDim)
        positions.deallocate()
        positions = .allocate(capacity: tokens)
        scratch = MatMulScratch(maxTokens: tokens, maxCols: Self.maxCols(hp), threads: threads)
        batch = tokens
    }

    /// Sets positions[0..<T] to pos0…pos0+T−1.
    func setPositions(from pos0: Int, count T: Int) {
        for t in 0..<T { positions[t] = Int32(pos0 + t) }
    }

    public override var byteCount: Int {
        cache.byteCount + [x, h, q, k, v, att, o, g, u, scores].reduce(0) { $0 + $1.byteCount }
    }
}
