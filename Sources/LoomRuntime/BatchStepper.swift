// BatchStepper and Slot: continuous batching for one engine.
//
// An engine has `parallel` slots, each a sequence: its KV cache and the tokens in it. A request
// takes the free slot whose cached tokens share the longest prefix with its prompt when that is
// at least half of it (so a system prompt, a few-shot prefix or a conversation computed by an
// earlier request is not computed again), else the least recently used one; it waits when all are
// busy, and gives the slot back when done.
//
// Every generating sequence registers with the stepper, and its forward passes — prefill chunks of
// at most `batchSize` tokens, then one token per step — go through `forward`, which coalesces the
// passes asked for at the same time into one `DecoderModel.forward(batch:)`: the first caller
// leads, waits until every registered sequence has asked (at most `gather`, so a sequence busy
// sampling or rendering never stalls the others for longer), runs the batch and hands each its
// logits; a caller arriving while a batch runs joins the next one. Alone, a sequence runs at once.
// A pass takes every decode step but prompt chunks only up to `prefillBudget` (num_batch) tokens,
// first come first served: the others wait for the next pass, so the decoding sequences advance
// every step and concurrent prompts finish one after another instead of all at the end.
// The batched pass gives each sequence the bits it would get alone, so seeded outputs do not
// depend on the load. `exclusive` runs other uses of the thread pool (embeddings) between steps.

import Foundation
import LoomKernels
import LoomModels

/// One sequence of an engine.
final class Slot: @unchecked Sendable {
    let index: Int
    let state: DecoderState
    /// Tokens whose keys/values are in `state.cache` (touched only by the request holding the slot).
    var cachedTokens: [Int32] = []
    var busy = false
    var lastUsed: UInt64 = 0

    init(index: Int, state: DecoderState) {
        self.index = index
        self.state = state
    }

    var cache: KVCache { state.cache }
}

/// Coalesces the forward passes of an engine's sequences into batched passes.
final class BatchStepper: @unchecked Sendable {
    let model: any DecoderModel
    let pool: ThreadPool
    /// The batched passes' activations.
    let workspace: DecoderState
    let condition = NSCondition()
    var registered = 0
    var pending: [Request] = []
    var running = false
    /// Most prompt tokens of one pass (num_batch): prefill chunks beyond it wait for the next pass,
    /// so a new prompt delays the decoding sequences by at most one chunk per step.
    let prefillBudget: Int
    /// Longest a leader waits for the other registered sequences.
    static let gather: TimeInterval = 0.004

    final class Request {
        let entry: BatchEntry
        var logits: [Float]?
        init(_ entry: BatchEntry) { self.entry = entry }
    }

    init(model: any DecoderModel, pool: ThreadPool, workspace: DecoderState, prefillBudget: Int) {
        self.model = model
        self.prefillBudget = max(1, prefillBudget)
        self.pool = pool
        self.workspace = workspace
    }

    /// A sequence starts (its passes will be waited for) / ends.
    func register() {
        condition.lock()
        registered += 1
        condition.unlock()
    }

    func unregister() {
        condition.lock()
        registered -= 1
        condition.broadcast()
        condition.unlock()
    }

    /// The last token's logits of `tokens` run on `state`, in a batch with whatever else is asked now.
    func forward(_ tokens: [Int32], state: DecoderState) -> [Float] {
        let request = Request(BatchEntry(tokens: tokens, state: state))
        condition.lock()
        defer { condition.unlock() }
        pending.append(request)
        condition.broadcast()
        while true {
            if let logits = request.logits { return logits }
            if running { condition.wait(); continue }
            let deadline = Date(timeIntervalSinceNow: Self.gather)
            while pending.count < registered && !running && request.logits == nil {
                if !condition.wait(until: deadline) { break }
            }
            if request.logits != nil || running { continue }
            let batch = Self.take(&pending, prefillBudget: prefillBudget)
            running = true
            condition.unlock()
            let results = model.forward(batch: batch.map(\.entry), workspace: workspace, pool: pool)
            condition.lock()
            for (r, logits) in zip(batch, results) { r.logits = logits }
            running = false
            condition.broadcast()
        }
    }

    /// The requests of the next pass, taken out of `pending`: every decode step (one token), and the
    /// prefill chunks in arrival order until one would pass `prefillBudget` tokens (the first one
    /// always fits); that one and the chunks after it wait for the next pass, first in line.
    static func take(_ pending: inout [Request], prefillBudget: Int) -> [Request] {
        var batch: [Request] = [], later: [Request] = [], prefill = 0
        for r in pending {
            let n = r.entry.tokens.count
            if n == 1 {
                batch.append(r)
            } else if later.isEmpty && (prefill == 0 || prefill + n <= prefillBudget) {
                prefill += n
                batch.append(r)
            } else {
                later.append(r)   // and every chunk after it: none overtakes a waiting one
            }
        }
        pending = later
        return batch
    }

    /// Runs `body` with the thread pool to itself, between batches.
    func exclusive<T>(_ body: () throws -> T) rethrows -> T {
        condition.lock()
        while running { condition.wait() }
        running = true
        condition.unlock()
        defer {
            condition.lock()
            running = false
            condition.broadcast()
            condition.unlock()
        }
        return try body()
    }
}

extension Engine {
    /// Takes a free slot for a prompt of `tokens`: the one whose cached tokens share the longest
    /// prefix with it when that prefix is at least half the prompt (a conversation's next turn, a
    /// shared system prompt), else the least recently used one (so an unrelated request does not
    /// overwrite a valuable cache, as llama-server's prompt-similarity rule); waits while every
    /// slot is busy.
    func acquireSlot(for tokens: [Int32]) -> Slot {
        slotCondition.lock()
        defer { slotCondition.unlock() }
        while true {
            let free = slots.filter { !$0.busy }
            if !free.isEmpty {
                func shared(_ slot: Slot) -> Int {
                    var n = 0
                    let limit = min(slot.cachedTokens.count, tokens.count)
                    while n < limit && slot.cachedTokens[n] == tokens[n] { n += 1 }
                    return n
                }
                let scored = free.map { ($0, shared($0)) }
                let best = scored.max { $0.1 < $1.1 || ($0.1 == $1.1 && $0.0.lastUsed > $1.0.lastUsed) }
                let lru = free.min { $0.lastUsed < $1.lastUsed }
                let chosen = (best.map { $0.1 > 0 && 2 * $0.1 >= tokens.count } ?? false) ? best?.0 : lru
                if let chosen {
                    chosen.busy = true
                    return chosen
                }
            }
            slotCondition.wait()
        }
    }

    func releaseSlot(_ slot: Slot) {
        slotCondition.lock()
        slot.busy = false
        useCounter += 1
        slot.lastUsed = useCounter
        slotCondition.broadcast()
        slotCondition.unlock()
    }

    /// The load time for the first request that reports it (then 0).
    func takeLoadDuration() -> UInt64 {
        slotCondition.lock()
        defer { slotCondition.unlock() }
        if loadReported { return 0 }
        loadReported = true
        return loadDuration
    }
}
