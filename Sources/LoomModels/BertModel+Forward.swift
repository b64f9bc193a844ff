// The BERT forward pass over a packed batch of sequences: the math of BertModel.swift's header,
// with matmuls (one GEMM per weight for the whole batch) and attention on the thread pool. Every
// buffer is the caller's `BertState` (allocated once); a pass allocates only its result.

import LoomKernels
import LoomTensor

extension BertModel {
    public func makeState(batch: Int, threads: Int) -> EncoderState { BertState(hp: hp, batch: batch, threads: threads) }

    /// Encodes `sequences` (token ids each, 1…contextLength of them, ids < vocabulary) in one packed
    /// batch and returns each sequence's pooled hidden state, [sequences.count][dim], not normalized.
    /// `path` pins the matmul implementation (`.openBLAS` = f32 activations, for checking the math).
    public func encode(_ sequences: [[Int32]], state: EncoderState, pool: ThreadPool, path: MatMulPath) -> [[Float]] {
        guard !sequences.isEmpty else { return [] }
        guard let s = state as? BertState, s.hp.dim == hp.dim else { preconditionFailure("encode: a state of another model") }
        let d = hp.dim, f = hp.ffnDim
        var starts: [Int] = [], total = 0
        for seq in sequences {
            precondition(!seq.isEmpty && seq.count <= hp.contextLength, "encode: a sequence has \(seq.count) tokens")
            starts.append(total)
            total += seq.count
        }
        let T = total
        s.reserve(T, threads: pool.threadCount)
        let x = s.x.base, q = s.q.base, k = s.k.base, v = s.v.base, att = s.att.base, o = s.o.base, u = s.u.base
        embed(sequences, starts: starts, into: x)
        for (i, seq) in sequences.enumerated() {
            for r in starts[i]..<starts[i] + seq.count { s.rowStart[r] = starts[i]; s.rowLength[r] = seq.count }
        }
        for layer in layers {
            linear(layer.wq, x, T, q, layer.bq, pool, s, path)
            linear(layer.wk, x, T, k, layer.bk, pool, s, path)
            linear(layer.wv, x, T, v, layer.bv, pool, s, path)
            attention(q, k, v, out: att, rows: T, state: s, pool: pool)
            linear(layer.wo, att, T, o, layer.bo, pool, s, path)
            addAndNorm(x, o, T, layer.attnNormW, layer.attnNormB, pool)
            linear(layer.up, x, T, u, layer.bUp, pool, s, path)
            pool.run { thread, threads in
                let part = ThreadPool.split(T * f, part: thread, of: threads, granularity: 64)
                if !part.isEmpty { Ops.geluErf(u + part.lowerBound, out: u + part.lowerBound, n: part.count) }
            }
            linear(layer.down, u, T, o, layer.bDown, pool, s, path)
            addAndNorm(x, o, T, layer.outNormW, layer.outNormB, pool)
        }
        return sequences.indices.map { i in pooled(x, start: starts[i], count: sequences[i].count) }
    }

    /// Each row attends to every row of its own sequence: a one-token "causal" call whose position
    /// is the sequence's last sees exactly those rows.
    func attention(_ q: UnsafeMutablePointer<Float>, _ k: UnsafeMutablePointer<Float>, _ v: UnsafeMutablePointer<Float>,
                   out: UnsafeMutablePointer<Float>, rows T: Int, state s: BertState, pool: ThreadPool) {
        let d = hp.dim, heads = hp.heads, hd = d / heads, row = hp.contextLength, scores = s.scores.base
        let rowStart = s.rowStart, rowLength = s.rowLength
        pool.run { thread, threads in
            for r in ThreadPool.split(T, part: thread, of: threads) {
                let n = rowLength[r], first = rowStart[r]
                let shape = AttentionShape(nTokens: 1, nHead: heads, nKVHead: heads, headDim: hd, nKV: n, pos0: n - 1)
                Ops.attention(q: q + r * d, kCache: k + first * d, vCache: v + first * d, out: out + r * d,
                              shape: shape, scratch: scores + thread * row, scratchCount: row)
            }
        }
    }

    /// x[row] = LN(token_embd[id] + position_embd[p] + token_types[0]) for every packed row.
    func embed(_ sequences: [[Int32]], starts: [Int], into x: UnsafeMutablePointer<Float>) {
        let d = hp.dim
        var rows = 0
        for (s, seq) in sequences.enumerated() {
            for (p, id) in seq.enumerated() {
                precondition(id >= 0 && Int(id) < hp.vocabulary, "encode: token id \(id) out of range")
                let row = x + (starts[s] + p) * d
                tokenEmbedding.dequantizeRow(Int(id), into: row)
                Ops.addInPlace(row, positions.base + p * d, n: d)
                Ops.addInPlace(row, tokenType0.base, n: d)
            }
            rows += seq.count
        }
        Ops.layerNorm(x, weight: embNormW.base, bias: embNormB.base, out: x, rows: rows, n: d, eps: hp.eps)
    }

    /// x = LN(x + y) · w + b, row by row (rows split between the pool's threads).
    func addAndNorm(_ x: UnsafeMutablePointer<Float>, _ y: UnsafeMutablePointer<Float>, _ T: Int,
                    _ w: FloatBuffer, _ b: FloatBuffer, _ pool: ThreadPool) {
        let d = hp.dim, eps = hp.eps, wb = w.base, bb = b.base
        pool.run { thread, threads in
            let rows = ThreadPool.split(T, part: thread, of: threads)
            guard !rows.isEmpty else { return }
            let row = x + rows.lowerBound * d
            Ops.addInPlace(row, y + rows.lowerBound * d, n: rows.count * d)
            Ops.layerNorm(row, weight: wb, bias: bb, out: row, rows: rows.count, n: d, eps: eps)
        }
    }

    /// The declared pooling of rows start..<start+count.
    func pooled(_ x: UnsafeMutablePointer<Float>, start: Int, count: Int) -> [Float] {
        let d = hp.dim
        switch hp.pooling {
        case .cls: return Array(UnsafeBufferPointer(start: x + start * d, count: d))
        case .last, .none: return Array(UnsafeBufferPointer(start: x + (start + count - 1) * d, count: d))
        case .mean:
            var sum = [Double](repeating: 0, count: d)
            for r in start..<start + count { for i in 0..<d { sum[i] += Double(x[r * d + i]) } }
            return sum.map { Float($0 / Double(count)) }
        }
    }

    /// out[T, rows] = x[T, cols] · Wᵀ + bias.
    func linear(_ w: PackedMatrix, _ x: UnsafeMutablePointer<Float>, _ T: Int, _ out: UnsafeMutablePointer<Float>,
                _ bias: FloatBuffer, _ pool: ThreadPool, _ s: BertState, _ path: MatMulPath) {
        MatMul.run(w, x, tokens: T, out, scratch: s.scratch, pool: pool, path: path)
        let bb = bias.base, n = w.rows
        pool.run { thread, threads in
            for t in ThreadPool.split(T, part: thread, of: threads) { Ops.addInPlace(out + t * n, bb, n: n) }
        }
    }
}
