// Perplexity as llama.cpp's `llama-perplexity` measures it: the tokens split into chunks of
// `chunk` tokens, each evaluated from an empty KV cache with every position's logits (the first
// token of every chunk replaced by BOS when the vocabulary adds one, as llama.cpp does); a chunk's
// first half is context only and the next-token negative log-likelihoods of its second half are
// scored. Perplexity = exp(mean NLL over all scored tokens). Log-softmax is taken in Double.

import LoomKernels
#if canImport(Glibc)
import Glibc
#endif

/// The result of a perplexity run.
public struct PerplexityResult: Sendable {
    /// Negative log-likelihood of each scored token, in text order.
    public var nll: [Double]
    /// Running perplexity after each chunk (what llama.cpp prints as `[1]x,[2]y,…`).
    public var perChunk: [Double]
    /// A result holding `nll` (and the running values `perChunk`).
    public init(nll: [Double], perChunk: [Double]) {
        self.nll = nll
        self.perChunk = perChunk
    }

    /// exp(mean of `nll`).
    public var perplexity: Double { nll.isEmpty ? .nan : exp(nll.reduce(0, +) / Double(nll.count)) }
}

extension DecoderModel {
    /// -log softmax(logits at position i)[tokens[i+1]] for i in `from`..<T-1, from one forward
    /// pass over `tokens` on an empty cache of `cacheType`. Returns T-1-from values.
    public func nextTokenNLL(_ tokens: [Int32], from: Int = 0, cacheType: KVCacheType = .f16, pool: ThreadPool,
                             path: MatMulPath = .auto) -> [Double] {
        let T = tokens.count, V = shape.vocabulary
        guard T >= 2 else { return [] }
        let state = makeState(capacity: T, cacheType: cacheType, batch: T, threads: pool.threadCount)
        let logits = forward(tokens, state: state, pool: pool, output: .allLogits, path: path)   // [T, V]
        var out: [Double] = []
        out.reserveCapacity(T - 1 - from)
        for i in max(0, from)..<(T - 1) {
            let row = logits[(i * V)..<((i + 1) * V)]
            let m = Double(row.max() ?? 0)
            var sum = 0.0
            for l in row { sum += exp(Double(l) - m) }
            out.append(m + log(sum) - Double(logits[i * V + Int(tokens[i + 1])]))
        }
        return out
    }

    /// llama.cpp's perplexity over `tokens` with chunks of `chunk` tokens (a trailing partial chunk
    /// is dropped, as llama.cpp does); `chunk` is capped at the model's context length. `bos` (the
    /// vocabulary's BOS when it adds one) replaces each chunk's first token. Keys and values are
    /// cached in `cacheType` (llama-perplexity's -ctk/-ctv).
    public func perplexity(_ tokens: [Int32], chunk: Int, bos: Int32? = nil, cacheType: KVCacheType = .f16, pool: ThreadPool,
                           path: MatMulPath = .auto) -> PerplexityResult {
        let n = min(max(chunk, 2), shape.contextLength)
        var result = PerplexityResult(nll: [], perChunk: [])
        var start = 0
        while start + n <= tokens.count {
            var part = Array(tokens[start..<(start + n)])
            if let bos { part[0] = bos }
            result.nll += nextTokenNLL(part, from: n / 2, cacheType: cacheType, pool: pool, path: path)
            result.perChunk.append(result.perplexity)
            start += n
        }
        return result
    }
}
