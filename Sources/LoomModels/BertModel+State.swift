// BertState: an encoder's run state (llama2.c's RunState), allocated once by the embedder and
// reused by every batch: the packed batch's activations, one attention score row per thread, the
// rows' sequence bounds and the matmuls' scratch. A batch longer than any before grows them once.

import LoomKernels

/// The buffers of BERT forward passes.
public final class BertState: EncoderState, @unchecked Sendable {
    let hp: BertHyperparameters
    private(set) var threads = 0
    private(set) var x = FloatBuffer(count: 0)        // [T, dim] hidden states
    private(set) var q = FloatBuffer(count: 0)        // [T, dim]
    private(set) var k = FloatBuffer(count: 0)        // [T, dim]
    private(set) var v = FloatBuffer(count: 0)        // [T, dim]
    private(set) var att = FloatBuffer(count: 0)      // [T, dim] attention output
    private(set) var o = FloatBuffer(count: 0)        // [T, dim] projection output
    private(set) var u = FloatBuffer(count: 0)        // [T, ffn]
    private(set) var scores = FloatBuffer(count: 0)   // [threads, contextLength] one score row per thread
    /// Per packed row: its sequence's first row and length (attention's key range). [T] each.
    var rowStart: [Int] = [], rowLength: [Int] = []
    private(set) var scratch: MatMulScratch

    init(hp: BertHyperparameters, batch: Int, threads: Int) {
        self.hp = hp
        scratch = MatMulScratch(maxTokens: 1, maxCols: max(hp.dim, hp.ffnDim), threads: 1)
        super.init()
        reserve(max(1, batch), threads: max(1, threads))
    }

    /// Makes room for a batch of `tokens` rows on `threads` threads (allocates only when either is
    /// more than ever before).
    func reserve(_ tokens: Int, threads newThreads: Int) {
        let grow = tokens > capacity, more = newThreads > threads
        guard grow || more else { return }
        let rows = max(tokens, capacity), d = hp.dim
        if grow {
            x = FloatBuffer(count: rows * d)
            q = FloatBuffer(count: rows * d)
            k = FloatBuffer(count: rows * d)
            v = FloatBuffer(count: rows * d)
            att = FloatBuffer(count: rows * d)
            o = FloatBuffer(count: rows * d)
            u = FloatBuffer(count: rows * hp.ffnDim)
            rowStart = [Int](repeating: 0, count: rows)
            rowLength = rowStart
        }
        threads = max(threads, newThreads)
        if more { scores = FloatBuffer(count: threads * hp.contextLength) }
        scratch = MatMulScratch(maxTokens: rows, maxCols: max(hp.dim, hp.ffnDim), threads: threads)
        capacity = rows
    }

    public override var byteCount: Int { [x, q, k, v, att, o, u, scores].reduce(0) { $0 + $1.byteCount } }
}
