// The llama forward pass over several sequences at once (continuous batching). The rows of all
// entries are stacked in the workspace's buffers:
//
//   x, h, o  [R, dim]   q, att [R, nHead·hd]   k, v [R, nKV·hd]   g, u [R, ffn]    R = Σ Tᵢ
//
// Row-wise work (norms, RoPE at each row's own position, activations, residuals) runs over all R
// rows; each entry stores its keys/values in its own cache and attends over it alone. Matmuls run
// per segment: the one-token entries (decode steps) together — each weight row read once for all
// of them — and each longer entry (a prefill chunk) on its own, so every row goes through the
// kernel it would use alone (GEMV or GEMM tiles, never OpenBLAS for a decode row) and the logits
// are the same bits as a pass of that entry alone.

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import LoomKernels
import LoomTensor

extension LlamaModel {
    public func forward(batch entries: [BatchEntry], workspace: DecoderState, pool: ThreadPool) -> [[Float]] {
        if entries.count == 1 { return [forward(entries[0].tokens, state: entries[0].state, pool: pool, output: .lastLogits, path: .auto)] }
        guard let ws = workspace as? LlamaState, ws.hp.layers == hp.layers else { preconditionFailure("forward(batch:): a workspace of another model") }
        // One-token entries first, so that they form one contiguous segment.
        let order = entries.indices.sorted { (entries[$0].tokens.count == 1 ? 0 : 1, $0) < (entries[$1].tokens.count == 1 ? 0 : 1, $1) }
        let states: [LlamaState] = order.map { i in
            guard let s = entries[i].state as? LlamaState, s.hp.layers == hp.layers else { preconditionFailure("forward(batch:): a state of another model") }
            return s
        }
        let counts = order.map { entries[$0].tokens.count }
        var offsets = [0]
        for c in counts { offsets.append(offsets[offsets.count - 1] + c) }
        let R = offsets[offsets.count - 1]
        let pos0 = states.map(\.cache.count)
        for (j, s) in states.enumerated() {
            precondition(counts[j] > 0 && pos0[j] + counts[j] <= s.cache.capacity && pos0[j] + counts[j] <= hp.contextLength, "context full")
        }
        // Matmul segments: [first, last) row ranges.
        let singles = counts.prefix { $0 == 1 }.count
        var segments: [Range<Int>] = singles > 0 ? [0..<singles] : []
        for j in singles..<counts.count { segments.append(offsets[j]..<offsets[j + 1]) }

        ws.reserve(R, threads: pool.threadCount)
        let dim = hp.dim, qDim = hp.heads * hp.headDim, kvDim = hp.kvHeads * hp.headDim
        let x = ws.x.base, h = ws.h.base, q = ws.q.base, k = ws.k.base, v = ws.v.base, att = ws.att.base
        func mm(_ w: PackedMatrix, _ input: UnsafeMutablePointer<Float>, _ out: UnsafeMutablePointer<Float>, _ bias: FloatBuffer?) {
            for seg in segments {
                MatMul.run(w, input + seg.lowerBound * w.cols, tokens: seg.count, out + seg.lowerBound * w.rows, scratch: ws.scratch, pool: pool, path: .auto)
            }
            if let bias { for t in 0..<R { Ops.addInPlace(out + t * w.rows, bias.base, n: w.rows) } }
        }
        let va = hp.variant, eps = hp.rmsEps
        for (j, i) in order.enumerated() {
            for t in 0..<counts[j] {
                ws.positions[offsets[j] + t] = Int32(pos0[j] + t)
                embedding.dequantizeRow(Int(entries[i].tokens[t]), into: x + (offsets[j] + t) * dim)
            }
        }
        if let scale = va.embeddingScale { Ops.scale(x, by: scale, out: x, n: R * dim) }
        for (l, layer) in layers.enumerated() {
            layerPass(layer, rows: R, buffers: ws, positions: ws.positions, mm: mm) {
                for (j, s) in states.enumerated() {
                    let r = offsets[j]
                    s.cache.store(layer: l, position: pos0[j], rows: counts[j], keys: k + r * kvDim, values: v + r * kvDim)
                }
                // The decode steps' attention in one pass of the pool, each longer entry's on its own.
                let together = singles > 1 ? singles : 0
                if together > 0 {
                    decodeAttention(layer: l, window: layer.window, q: q, out: att, states: Array(states[..<together]), pos0: pos0, pool: pool)
                }
                for j in together..<states.count {
                    let r = offsets[j]
                    attention(layer: l, window: layer.window, q: q + r * qDim, out: att + r * qDim, state: states[j], tokens: counts[j], pos0: pos0[j], pool: pool)
                }
            }
        }
        for (j, s) in states.enumerated() { s.cache.count = pos0[j] + counts[j] }
        // Each entry's last row, normed into h[j]; the logits of the one-token entries in one
        // product, each longer entry's alone (the kernel each would use alone).
        let E = states.count, vocab = hp.vocabulary
        for j in 0..<E {
            Ops.rmsNorm(x + (offsets[j + 1] - 1) * dim, weight: outputNorm.base, out: h + j * dim, rows: 1, n: dim, eps: eps)
        }
        var logits = [Float](repeating: 0, count: E * vocab)
        logits.withUnsafeMutableBufferPointer { lp in
            let out = lp.baseAddress!
            if singles > 0 { MatMul.run(self.output, h, tokens: singles, out, scratch: ws.scratch, pool: pool, path: .auto) }
            for j in singles..<E { MatMul.run(self.output, h + j * dim, tokens: 1, out + j * vocab, scratch: ws.scratch, pool: pool, path: .auto) }
        }
        if let cap = va.logitSoftcap {
            for i in logits.indices { logits[i] = cap * tanhf(logits[i] / cap) }
        }
        var result = [[Float]](repeating: [], count: entries.count)
        for (j, i) in order.enumerated() { result[i] = Array(logits[(j * vocab)..<((j + 1) * vocab)]) }
        return result
    }

    /// Attention of one-token entries (rows 0..<states.count of q and out; entry j at position
    /// pos0[j]) in one pass of the pool: the (entry, query head) pairs split evenly between the
    /// threads, each head computed as a decode step alone computes it (Ops.attention per head range).
    func decodeAttention(layer l: Int, window: Int?, q: UnsafeMutablePointer<Float>, out: UnsafeMutablePointer<Float>,
                         states: [LlamaState], pos0: [Int], pool: ThreadPool) {
        let H = hp.heads, qDim = H * hp.headDim, total = states.count * H
        let kvHeads = hp.kvHeads, headDim = hp.headDim, scale = hp.variant.attentionScale
        pool.run { thread, threads in
            let items = ThreadPool.split(total, part: thread, of: threads)
            var i = items.lowerBound
            while i < items.upperBound {
                let j = i / H, h0 = i % H, h1 = min(H, h0 + items.upperBound - i)
                let s = states[j]
                let shape = AttentionShape(nTokens: 1, nHead: H, nKVHead: kvHeads, headDim: headDim, nKV: pos0[j] + 1, pos0: pos0[j],
                                           scale: scale, window: window)
                s.cache.attention(layer: l, q: q + j * qDim, out: out + j * qDim, shape: shape, heads: h0..<h1, tokens: 0..<1,
                                  scratch: s.scores.base + thread * s.scoreRowsPerThread, scratchCount: s.scoreRowsPerThread)
                i += h1 - h0
            }
        }
    }
}
