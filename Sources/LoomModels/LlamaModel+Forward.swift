// The llama forward pass over a batch of tokens (prefill) or one token (decode): the math of
// LlamaModel.swift's header, with matmuls on the thread pool and the rest on the calling thread.

import LoomKernels
import LoomTensor

extension LlamaModel {
    /// Runs `tokens` at positions cache.count… , appends their keys/values to `cache`, and returns
    /// logits [vocab] for the last token, or [T, vocab] for all when `allLogits`. `path` pins the
    /// matmul implementation (`.openBLAS` = f32 activations on dequantized weights, for checking
    /// the math against a float reference). `hidden` returns the final-normed hidden states
    /// ([dim] or [T, dim]) instead of logits: the model's embedding of the tokens.
    public func forward(_ tokens: [Int32], cache: KVCache, pool: ThreadPool, allLogits: Bool = false,
                        path: MatMulPath = .auto, hidden: Bool = false) -> [Float] {
        let T = tokens.count
        precondition(T > 0 && cache.count + T <= cache.capacity && cache.count + T <= hp.contextLength, "context full")
        let dim = hp.dim, hd = hp.headDim, qDim = hp.heads * hd, kvDim = hp.kvHeads * hd, ff = hp.ffnDim
        let pos0 = cache.count
        let scratch = MatMulScratch(maxTokens: T, maxCols: max(dim, ff, qDim), threads: pool.threadCount)
        let mm = { (w: PackedMatrix, x: [Float], n: Int, out: inout [Float], bias: [Float]?, s: MatMulScratch) in
            self.matmul(w, x, n, &out, bias: bias, pool, s, path: path)
        }
        var x = [Float](repeating: 0, count: T * dim)           // [T, dim] residual stream
        var h = [Float](repeating: 0, count: T * dim)           // [T, dim] normed
        var q = [Float](repeating: 0, count: T * qDim)          // [T, nHead·hd]
        var k = [Float](repeating: 0, count: T * kvDim)         // [T, nKV·hd]
        var v = [Float](repeating: 0, count: T * kvDim)
        var att = [Float](repeating: 0, count: T * qDim)
        var o = [Float](repeating: 0, count: T * dim)
        var g = [Float](repeating: 0, count: T * ff)            // [T, ffn]
        var u = [Float](repeating: 0, count: T * ff)
        let scoreRow = pos0 + T
        var scores = [Float](repeating: 0, count: pool.threadCount * scoreRow)   // [threads, pos0 + T]
        let positions = (0..<T).map { Int32(pos0 + $0) }
        x.withUnsafeMutableBufferPointer { xp in
            for t in 0..<T { embedding.dequantizeRow(Int(tokens[t]), into: xp.baseAddress! + t * dim) }
        }
        for (l, layer) in layers.enumerated() {
            x.withUnsafeBufferPointer { xp in h.withUnsafeMutableBufferPointer { hp_ in layer.attnNorm.withUnsafeBufferPointer { w in
                Ops.rmsNorm(xp.baseAddress!, weight: w.baseAddress!, out: hp_.baseAddress!, rows: T, n: dim, eps: hp.rmsEps)
            } } }
            mm(layer.wq, h, T, &q, layer.bq, scratch)
            mm(layer.wk, h, T, &k, layer.bk, scratch)
            mm(layer.wv, h, T, &v, layer.bv, scratch)
            positions.withUnsafeBufferPointer { pp in
                q.withUnsafeMutableBufferPointer { Ops.rope($0.baseAddress!, positions: pp.baseAddress!, nTokens: T, nHeads: hp.heads, headDim: hd, cache: rope, style: hp.ropeStyle) }
                k.withUnsafeMutableBufferPointer { Ops.rope($0.baseAddress!, positions: pp.baseAddress!, nTokens: T, nHeads: hp.kvHeads, headDim: hd, cache: rope, style: hp.ropeStyle) }
            }
            k.withUnsafeBufferPointer { kp in v.withUnsafeBufferPointer { vp in
                cache.store(layer: l, position: pos0, rows: T, keys: kp.baseAddress!, values: vp.baseAddress!)
            } }
            // Attention, each thread with its own score row: decode splits the query heads between
            // the threads; prefill splits the tokens into ranges of equal causal cost (every head).
            let shape = AttentionShape(nTokens: T, nHead: hp.heads, nKVHead: hp.kvHeads, headDim: hd, nKV: pos0 + T, pos0: pos0)
            q.withUnsafeBufferPointer { qp in att.withUnsafeMutableBufferPointer { ap in scores.withUnsafeMutableBufferPointer { sp in
                let qb = qp.baseAddress!, ab = ap.baseAddress!, sb = sp.baseAddress!
                pool.run { thread, threads in
                    let byTokens = T >= 4 * threads
                    let heads = byTokens ? 0..<shape.nHead : ThreadPool.split(shape.nHead, part: thread, of: threads)
                    let tokens = byTokens ? shape.tokens(part: thread, of: threads) : 0..<T
                    guard !heads.isEmpty, !tokens.isEmpty else { return }
                    cache.attention(layer: l, q: qb, out: ab, shape: shape, heads: heads, tokens: tokens,
                                    scratch: sb + thread * scoreRow, scratchCount: scoreRow)
                }
            } } }
            mm(layer.wo, att, T, &o, nil, scratch)
            x.withUnsafeMutableBufferPointer { xp in o.withUnsafeBufferPointer { Ops.addInPlace(xp.baseAddress!, $0.baseAddress!, n: T * dim) } }
            x.withUnsafeBufferPointer { xp in h.withUnsafeMutableBufferPointer { hp_ in layer.ffnNorm.withUnsafeBufferPointer { w in
                Ops.rmsNorm(xp.baseAddress!, weight: w.baseAddress!, out: hp_.baseAddress!, rows: T, n: dim, eps: hp.rmsEps)
            } } }
            mm(layer.gate, h, T, &g, nil, scratch)
            mm(layer.up, h, T, &u, nil, scratch)
            g.withUnsafeMutableBufferPointer { gp in u.withUnsafeBufferPointer { up in
                Ops.swiglu(gate: gp.baseAddress!, up: up.baseAddress!, out: gp.baseAddress!, n: T * ff)
            } }
            mm(layer.down, g, T, &o, nil, scratch)
            x.withUnsafeMutableBufferPointer { xp in o.withUnsafeBufferPointer { Ops.addInPlace(xp.baseAddress!, $0.baseAddress!, n: T * dim) } }
        }
        cache.count = pos0 + T
        let rows = allLogits ? T : 1
        let first = T - rows
        var last = [Float](repeating: 0, count: rows * dim)
        x.withUnsafeBufferPointer { xp in last.withUnsafeMutableBufferPointer { lp in outputNorm.withUnsafeBufferPointer { w in
            Ops.rmsNorm(xp.baseAddress! + first * dim, weight: w.baseAddress!, out: lp.baseAddress!, rows: rows, n: dim, eps: hp.rmsEps)
        } } }
        if hidden { return last }
        var logits = [Float](repeating: 0, count: rows * hp.vocabulary)
        let headScratch = MatMulScratch(maxTokens: rows, maxCols: dim, threads: pool.threadCount)
        mm(output, last, rows, &logits, nil, headScratch)
        return logits
    }

    /// out[T, rows] = x[T, cols] · Wᵀ (+ bias per row).
    func matmul(_ w: PackedMatrix, _ x: [Float], _ T: Int, _ out: inout [Float], bias: [Float]?, _ pool: ThreadPool,
                _ scratch: MatMulScratch, path: MatMulPath) {
        x.withUnsafeBufferPointer { xp in out.withUnsafeMutableBufferPointer { op in
            MatMul.run(w, xp.baseAddress!, tokens: T, op.baseAddress!, scratch: scratch, pool: pool, path: path)
        } }
        if let bias {
            for t in 0..<T { for i in 0..<w.rows { out[t * w.rows + i] += bias[i] } }
        }
    }
}
