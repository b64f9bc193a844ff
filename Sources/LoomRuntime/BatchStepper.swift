// BatchStepper and Slot: continuous batching for one engine.
//
// An engine has `parallel` slots, each a sequence: its KV cache and the tokens in it. A request
// takes the free slot whose cached tokens share the longest prefix with its prompt when that is
// at least half of it (so a system prompt, a few-shot prefix or a conversation computed by an
// earlier request is not computed again), else the least recently used one; it waits when all are
// busy, and gives the slot back when done.
//
// A request whose slot is ready is submitted to the stepper, whose driver thread (started when the
// first one arrives, gone when none is left) runs the engine's steps, as llama-server's main loop:
// one `DecoderModel.forward(batch:)` over every active generation's next input — its last sampled
// token, or its next prompt chunk of at most `batchSize` tokens — then each generation's `advance`
// with its logits (sampling, streaming, deciding whether it goes on), then the next step with
// whatever joined meanwhile. No thread hands over per token: the generations' own threads only
// take a slot and prepare it. A pass takes every decode step but prompt chunks only up to
// `prefillBudget` (num_batch) tokens, in arrival order: the others wait for the next pass, so
// the decoding sequences advance every step and concurrent prompts finish one after another
// instead of all at the end. A generation cancelled while it waits stops at the next step.
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

/// Runs the forward passes of an engine's generations, batched, on a driver thread of its own.
final class BatchStepper: @unchecked Sendable {
    let model: any DecoderModel
    let pool: ThreadPool
    /// The batched passes' activations.
    let workspace: DecoderState
    let condition = NSCondition()
    /// The generations being run, in arrival order (under `condition`).
    var active: [GenerationJob] = []
    /// Whether a driver thread is running the steps.
    var driving = false
    /// Whether a step or an `exclusive` body holds the thread pool.
    var running = false
    /// `exclusive` callers waiting for the pool (the driver lets them in before its next step).
    var exclusiveWaiting = 0
    /// Most prompt tokens of one pass (num_batch): prefill chunks beyond it wait for the next pass,
    /// so a new prompt delays the decoding sequences by at most one chunk per step.
    let prefillBudget: Int

    /// One generation's part of a pass.
    final class Request {
        let entry: BatchEntry
        let job: GenerationJob?
        init(_ entry: BatchEntry, job: GenerationJob? = nil) {
            self.entry = entry
            self.job = job
        }
    }

    init(model: any DecoderModel, pool: ThreadPool, workspace: DecoderState, prefillBudget: Int) {
        self.model = model
        self.prefillBudget = max(1, prefillBudget)
        self.pool = pool
        self.workspace = workspace
    }

    /// Adds a generation whose slot is ready (`job.input` is its first pass); it joins the next step.
    func submit(_ job: GenerationJob) {
        condition.lock()
        active.append(job)
        let start = !driving
        driving = true
        condition.broadcast()
        condition.unlock()
        if start { ComputeThread.start { self.drive() } }
    }

    /// The driver thread: steps until no generation is left.
    private func drive() {
        condition.lock()
        while true {
            while running || exclusiveWaiting > 0 { condition.wait() }
            if active.isEmpty {
                driving = false
                condition.unlock()
                return
            }
            var pending: [Request] = []
            for job in active {
                if let slot = job.slot { pending.append(Request(BatchEntry(tokens: job.input, state: slot.state), job: job)) }
            }
            let batch = Self.take(&pending, prefillBudget: prefillBudget)
            running = true
            condition.unlock()
            if !batch.isEmpty {
                var results = model.forward(batch: batch.map(\.entry), workspace: workspace, pool: pool)
                for (i, r) in batch.enumerated() {
                    let logits = results[i]
                    results[i] = []   // the job's copy is the only one: masking tokens copies nothing
                    _ = r.job?.advance(consume logits)
                }
            }
            for r in pending where r.job?.cancelled.isSet == true {
                r.job?.abandon()   // waiting for the prefill budget: a cancelled one stops now
            }
            condition.lock()
            active.removeAll { $0.slot == nil }   // finished: the slot went back
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

    /// Runs `body` with the thread pool to itself, between steps.
    func exclusive<T>(_ body: () throws -> T) rethrows -> T {
        condition.lock()
        exclusiveWaiting += 1
        while running { condition.wait() }
        exclusiveWaiting -= 1
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
