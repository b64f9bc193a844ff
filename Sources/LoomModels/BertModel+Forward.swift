// The BERT forward pass over a packed batch of sequences: the math of BertModel.swift's header,
// with matmuls (one GEMM per weight for the whole batch) and attention on the thread pool.

import LoomKernels
import LoomTensor

extension BertModel {
    /// Encodes `sequences` (token ids each, 1…contextLength of them, ids < vocabulary) in one packed
    /// batch and returns each sequence's pooled hidden state, [sequences.count][dim], not normalized.
    /// `path` pins the matmul implementation (`.openBLAS` = f32 activations, for checking the math).
    public func encode(_ sequences: [[Int32]], pool: ThreadPool, path: MatMulPath = .auto) -> [[Float]] {
        guard !sequences.isEmpty else { return [] }
        let d = hp.dim, f = hp.ffnDim
        var starts: [Int] = [], total = 0
        for s in sequences {
            precondition(!s.isEmpty && s.count <= hp.contextLength, "encode: a sequence has \(s.count) tokens")
            starts.append(total)
            total += s.count
        }
        let T = total
        let scratch = MatMulScratch(maxTokens: T, maxCols: max(d, f), threads: pool.threadCount)
        var x = [Float](repeating: 0, count: T * d)              // [T, dim] hidden states
        var q = x, k = x, v = x, att = x, o = x                  // [T, dim] each
        var u = [Float](repeating: 0, count: T * f)             // [T, ffn]
        embed(sequences, starts: starts, into: &x)
        // Per row: its sequence's first row and length (attention's key range).
        var rowStart = [Int](repeating: 0, count: T), rowLength = rowStart
        for (s, seq) in sequences.enumerated() {
            for r in starts[s]..<starts[s] + seq.count { rowStart[r] = starts[s]; rowLength[r] = seq.count }
        }
        let longest = sequences.map(\.count).max() ?? 1
        var scores = [Float](repeating: 0, count: pool.threadCount * longest)   // [threads, longest]
        let heads = hp.heads, hd = d / heads
        for layer in layers {
            linear(layer.wq, x, T, &q, layer.bq, pool, scratch, path)
            linear(layer.wk, x, T, &k, layer.bk, pool, scratch, path)
            linear(layer.wv, x, T, &v, layer.bv, pool, scratch, path)
            // Each row attends to every row of its own sequence: a one-token "causal" call whose
            // position is the sequence's last sees exactly those rows.
            q.withUnsafeBufferPointer { qp in k.withUnsafeBufferPointer { kp in v.withUnsafeBufferPointer { vp in
                att.withUnsafeMutableBufferPointer { ap in scores.withUnsafeMutableBufferPointer { sp in
                    let qb = qp.baseAddress!, kb = kp.baseAddress!, vb = vp.baseAddress!, ab = ap.baseAddress!, sb = sp.baseAddress!
                    pool.run { thread, threads in
                        for r in ThreadPool.split(T, part: thread, of: threads) {
                            let n = rowLength[r], first = rowStart[r]
                            let shape = AttentionShape(nTokens: 1, nHead: heads, nKVHead: heads, headDim: hd, nKV: n, pos0: n - 1)
                            Ops.attention(q: qb + r * d, kCache: kb + first * d, vCache: vb + first * d, out: ab + r * d,
                                          shape: shape, scratch: sb + thread * longest, scratchCount: longest)
                        }
                    }
                } }
            } } }
            linear(layer.wo, att, T, &o, layer.bo, pool, scratch, path)
            addAndNorm(&x, o, T, layer.attnNormW, layer.attnNormB, pool)
            linear(layer.up, x, T, &u, layer.bUp, pool, scratch, path)
            u.withUnsafeMutableBufferPointer { up in
                let base = up.baseAddress!
                pool.run { thread, threads in
                    let part = ThreadPool.split(T * f, part: thread, of: threads, granularity: 64)
                    if !part.isEmpty { Ops.geluErf(base + part.lowerBound, out: base + part.lowerBound, n: part.count) }
                }
            }
            linear(layer.down, u, T, &o, layer.bDown, pool, scratch, path)
            addAndNorm(&x, o, T, layer.outNormW, layer.outNormB, pool)
        }
        return sequences.indices.map { s in pooled(x, start: starts[s], count: sequences[s].count) }
    }

    /// x[row] = LN(token_embd[id] + position_embd[p] + token_types[0]) for every packed row.
    func embed(_ sequences: [[Int32]], starts: [Int], into x: inout [Float]) {
        let d = hp.dim
        x.withUnsafeMutableBufferPointer { xp in
            let xb = xp.baseAddress!
            for (s, seq) in sequences.enumerated() {
                for (p, id) in seq.enumerated() {
                    precondition(id >= 0 && Int(id) < hp.vocabulary, "encode: token id \(id) out of range")
                    let row = xb + (starts[s] + p) * d
                    tokenEmbedding.dequantizeRow(Int(id), into: row)
                    positions.withUnsafeBufferPointer { Ops.addInPlace(row, $0.baseAddress! + p * d, n: d) }
                    tokenType0.withUnsafeBufferPointer { Ops.addInPlace(row, $0.baseAddress!, n: d) }
                }
            }
            embNormW.withUnsafeBufferPointer { w in embNormB.withUnsafeBufferPointer { b in
                Ops.layerNorm(xb, weight: w.baseAddress!, bias: b.baseAddress!, out: xb, rows: xp.count / d, n: d, eps: hp.eps)
            } }
        }
    }

    /// x = LN(x + y) · w + b, row by row (rows split between the pool's threads).
    func addAndNorm(_ x: inout [Float], _ y: [Float], _ T: Int, _ w: [Float], _ b: [Float], _ pool: ThreadPool) {
        let d = hp.dim, eps = hp.eps
        x.withUnsafeMutableBufferPointer { xp in y.withUnsafeBufferPointer { yp in
            w.withUnsafeBufferPointer { wp in b.withUnsafeBufferPointer { bp in
                let xb = xp.baseAddress!, yb = yp.baseAddress!, wb = wp.baseAddress!, bb = bp.baseAddress!
                pool.run { thread, threads in
                    let rows = ThreadPool.split(T, part: thread, of: threads)
                    guard !rows.isEmpty else { return }
                    let row = xb + rows.lowerBound * d
                    Ops.addInPlace(row, yb + rows.lowerBound * d, n: rows.count * d)
                    Ops.layerNorm(row, weight: wb, bias: bb, out: row, rows: rows.count, n: d, eps: eps)
                }
            } }
        } }
    }

    /// The declared pooling of rows start..<start+count.
    func pooled(_ x: [Float], start: Int, count: Int) -> [Float] {
        let d = hp.dim
        switch hp.pooling {
        case .cls: return Array(x[start * d..<(start + 1) * d])
        case .last, .none: return Array(x[(start + count - 1) * d..<(start + count) * d])
        case .mean:
            var sum = [Double](repeating: 0, count: d)
            for r in start..<start + count { for i in 0..<d { sum[i] += Double(x[r * d + i]) } }
            return sum.map { Float($0 / Double(count)) }
        }
    }

    /// out[T, rows] = x[T, cols] · Wᵀ + bias.
    func linear(_ w: PackedMatrix, _ x: [Float], _ T: Int, _ out: inout [Float], _ bias: [Float], _ pool: ThreadPool,
                _ scratch: MatMulScratch, _ path: MatMulPath) {
        x.withUnsafeBufferPointer { xp in out.withUnsafeMutableBufferPointer { op in
            MatMul.run(w, xp.baseAddress!, tokens: T, op.baseAddress!, scratch: scratch, pool: pool, path: path)
            bias.withUnsafeBufferPointer { bp in
                let ob = op.baseAddress!, bb = bp.baseAddress!, n = w.rows
                pool.run { thread, threads in
                    for t in ThreadPool.split(T, part: thread, of: threads) { Ops.addInPlace(ob + t * n, bb, n: n) }
                }
            }
        } }
    }
}
