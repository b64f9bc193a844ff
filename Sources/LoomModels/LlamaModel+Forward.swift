// The llama forward pass over a batch of tokens (prefill) or one token (decode): the math of
// LlamaModel.swift's header, with matmuls on the thread pool and the rest on the calling thread.
// Every buffer is the sequence's `LlamaState` (allocated once); a pass allocates only its result.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LoomKernels
import LoomTensor

extension LlamaModel {
    public func makeState(capacity: Int, cacheType: KVCacheType, batch: Int, threads: Int) -> DecoderState {
        LlamaState(hp: hp, capacity: capacity, cacheType: cacheType, batch: batch, threads: threads)
    }

    public func forward(_ tokens: [Int32], state: DecoderState, pool: ThreadPool, output: ForwardOutput, path: MatMulPath) -> [Float] {
        guard let s = state as? LlamaState, s.hp.layers == hp.layers else { preconditionFailure("forward: a state of another model") }
        let cache = s.cache, T = tokens.count
        precondition(T > 0 && cache.count + T <= cache.capacity && cache.count + T <= hp.contextLength, "context full")
        s.reserve(T, threads: pool.threadCount)
        let dim = hp.dim
        let pos0 = cache.count
        let x = s.x.base, h = s.h.base, q = s.q.base, k = s.k.base, v = s.v.base, att = s.att.base
        func mm(_ w: PackedMatrix, _ input: UnsafeMutablePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ bias: FloatBuffer?, rows: Int = T) {
            MatMul.run(w, input, tokens: rows, out, scratch: s.scratch, pool: pool, path: path)
            if let bias { for t in 0..<rows { Ops.addInPlace(out + t * w.rows, bias.base, n: w.rows) } }
        }
        let va = hp.variant, eps = hp.rmsEps
        s.setPositions(from: pos0, count: T)
        for t in 0..<T { embedding.dequantizeRow(Int(tokens[t]), into: x + t * dim) }
        if let scale = va.embeddingScale { Ops.scale(x, by: scale, out: x, n: T * dim) }
        for (l, layer) in layers.enumerated() {
            layerPass(layer, rows: T, buffers: s, positions: s.positions, mm: { mm($0, $1, $2, $3) }) {
                cache.store(layer: l, position: pos0, rows: T, keys: k, values: v)
                attention(layer: l, window: layer.window, q: q, out: att, state: s, tokens: T, pos0: pos0, pool: pool)
            }
        }
        cache.count = pos0 + T
        let rows = output == .allLogits ? T : 1
        Ops.rmsNorm(x + (T - rows) * dim, weight: outputNorm.base, out: h, rows: rows, n: dim, eps: eps)
        if output == .lastHidden { return s.h.array(count: dim) }
        var logits = [Float](repeating: 0, count: rows * hp.vocabulary)
        logits.withUnsafeMutableBufferPointer { lp in
            MatMul.run(self.output, h, tokens: rows, lp.baseAddress!, scratch: s.scratch, pool: pool, path: path)
        }
        if let cap = va.logitSoftcap {
            for i in logits.indices { logits[i] = cap * tanhf(logits[i] / cap) }
        }
        return logits
    }

    /// One layer over `R` rows stacked in `s`'s buffers (x in, x out): norms, the q/k/v projections,
    /// RoPE at each row's position, then `attend` (store the rows' keys/values and attend over the
    /// cache, att ← softmax(qKᵀ)V), the output projection, residuals and the FFN. `mm` runs each
    /// product (one pass of a sequence, or the segments of a batched pass).
    func layerPass(_ layer: LlamaLayer, rows R: Int, buffers s: LlamaState, positions: UnsafeMutablePointer<Int32>,
                   mm: (PackedMatrix, UnsafeMutablePointer<Float>, UnsafeMutablePointer<Float>, FloatBuffer?) -> Void,
                   attend: () -> Void) {
        let dim = hp.dim, hd = hp.headDim, ff = hp.ffnDim, va = hp.variant, eps = hp.rmsEps
        let x = s.x.base, h = s.h.base, q = s.q.base, k = s.k.base, v = s.v.base
        let att = s.att.base, o = s.o.base, g = s.g.base, u = s.u.base
        Ops.rmsNorm(x, weight: layer.attnNorm.base, out: h, rows: R, n: dim, eps: eps)
        mm(layer.wq, h, q, layer.bq)
        mm(layer.wk, h, k, layer.bk)
        mm(layer.wv, h, v, layer.bv)
        if let qNorm = layer.qNorm, let kNorm = layer.kNorm {
            Ops.rmsNorm(q, weight: qNorm.base, out: q, rows: R * hp.heads, n: hd, eps: eps)
            Ops.rmsNorm(k, weight: kNorm.base, out: k, rows: R * hp.kvHeads, n: hd, eps: eps)
        }
        Ops.rope(q, positions: positions, nTokens: R, nHeads: hp.heads, headDim: hd, cache: layer.rope, style: hp.ropeStyle)
        Ops.rope(k, positions: positions, nTokens: R, nHeads: hp.kvHeads, headDim: hd, cache: layer.rope, style: hp.ropeStyle)
        attend()
        mm(layer.wo, att, o, nil)
        if let post = layer.attnPostNorm { Ops.rmsNorm(o, weight: post.base, out: o, rows: R, n: dim, eps: eps) }
        Ops.addInPlace(x, o, n: R * dim)
        Ops.rmsNorm(x, weight: layer.ffnNorm.base, out: h, rows: R, n: dim, eps: eps)
        mm(layer.gate, h, g, nil)
        mm(layer.up, h, u, nil)
        switch va.activation {
        case .silu: Ops.swiglu(gate: g, up: u, out: g, n: R * ff)
        case .geluTanh:
            Ops.gelu(g, out: g, n: R * ff)
            Ops.mul(g, u, out: g, n: R * ff)
        }
        mm(layer.down, g, o, nil)
        if let post = layer.ffnPostNorm { Ops.rmsNorm(o, weight: post.base, out: o, rows: R, n: dim, eps: eps) }
        Ops.addInPlace(x, o, n: R * dim)
    }

    /// Causal GQA attention of T queries over the cache, each thread with its own score row:
    /// decode splits the query heads between the threads; prefill splits the tokens into ranges of
    /// equal causal cost (every head).
    func attention(layer l: Int, window: Int?, q: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>, state s: LlamaState,
                   tokens T: Int, pos0: Int, pool: ThreadPool) {
        let shape = AttentionShape(nTokens: T, nHead: hp.heads, nKVHead: hp.kvHeads, headDim: hp.headDim, nKV: pos0 + T, pos0: pos0,
                                   scale: hp.variant.attentionScale, window: window)
        let cache = s.cache, scores = s.scores.base, row = s.scoreRowsPerThread
        pool.run { thread, threads in
            let byTokens = T >= 4 * threads
            let heads = byTokens ? 0..<shape.nHead : ThreadPool.split(shape.nHead, part: thread, of: threads)
            let tokens = byTokens ? shape.tokens(part: thread, of: threads) : 0..<T
            guard !heads.isEmpty, !tokens.isEmpty else { return }
            cache.attention(layer: l, q: q, out: out, shape: shape, heads: heads, tokens: tokens,
                            scratch: scores + thread * row, scratchCount: row)
        }
    }
}
