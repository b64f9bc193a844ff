// One generation on one of the engine's slots: prefix reuse, prefill, the sampling loop, stop
// strings and statistics, as a state machine the engine's BatchStepper drives.
//
// `run` (on a compute thread of its own) takes a slot — waiting while all are busy — reuses the
// longest cached prefix, and hands the job to the stepper. From then on the stepper's driver thread
// owns it: each step it runs the job's `input` (a prompt chunk of at most num_batch tokens, then
// the last sampled token) in one batched pass with the other slots' and calls `advance` with the
// logits, which samples, streams the text and says whether the job goes on. A finished job reports
// its statistics, ends its stream and gives its slot back; a cancelled one stops at the next step.

import Foundation
import LoomKernels
import LoomModels
import LoomSampling
import LoomTokenizers
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

final class GenerationJob: @unchecked Sendable {
    let engine: Engine
    let prompt: String
    /// The prompt's tokens (tokenized once, by `Engine.prepare`).
    let promptTokens: [Int32]
    let options: GenerateOptions
    let continuation: AsyncThrowingStream<GenerationEvent, Error>.Continuation
    let cancelled: CancelFlag

    // The generation's state: set up by `begin` on the job's thread, then touched only by the
    // stepper's driver thread.
    private(set) var slot: Slot?
    /// The prompt after truncation, then the generated tokens.
    private var tokens: [Int32] = []
    /// Prompt tokens in the slot's cache so far; tokens.count once decoding.
    private var evaluated = 0
    private var decoding = false
    /// The tokens of the next pass (a prompt chunk, or the last sampled token).
    private(set) var input: [Int32] = []
    private var stats = GenerationStats()
    private var start: UInt64 = 0
    private var evalStart: UInt64 = 0
    private var generated = 0
    private var numKeep = 0
    private var sampler: Sampler
    private var decoder: StreamingDecoder
    private var stopFilter: StopFilter
    private var constraints: GenerationConstraints?

    init(engine: Engine, prompt: String, tokens: [Int32], options: GenerateOptions,
         continuation: AsyncThrowingStream<GenerationEvent, Error>.Continuation, cancelled: CancelFlag) {
        self.engine = engine
        self.prompt = prompt
        promptTokens = tokens
        self.options = options
        self.continuation = continuation
        self.cancelled = cancelled
        sampler = Sampler(options: options.sampling)
        decoder = StreamingDecoder(engine.tokenizer, skipControl: true)
        stopFilter = StopFilter(options.stop)
    }

    static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }

    /// Takes a slot, prepares it, and hands the job to the engine's stepper (on the job's own thread).
    func run() {
        let slot = engine.acquireSlot(for: promptTokens)
        self.slot = slot
        do {
            try begin(on: slot)
        } catch {
            engine.releaseSlot(slot)
            continuation.finish(throwing: error)
            return
        }
        engine.stepper.submit(self)
    }

    /// Truncation, prefix reuse (the slot's cache, or a longer prefix from the prompt cache) and the
    /// first prompt chunk; at least one token is evaluated for fresh logits.
    private func begin(on slot: Slot) throws(EngineError) {
        start = Self.now()
        let e = engine, cache = slot.cache
        tokens = promptTokens
        numKeep = min(max(options.numKeep, 0), cache.capacity / 2)
        guard !tokens.isEmpty else { throw EngineError.promptTooLong(tokens: 0, context: cache.capacity) }
        if tokens.count > cache.capacity {
            // Ollama's runner: keep the first numKeep tokens and the newest ones that fit.
            guard options.truncate else { throw EngineError.promptTooLong(tokens: tokens.count, context: cache.capacity) }
            tokens.removeSubrange(numKeep..<(numKeep + tokens.count - cache.capacity))
        }
        e.preparePrefix(slot, for: tokens)
        var keep = 0
        while keep < min(tokens.count - 1, slot.cachedTokens.count) && slot.cachedTokens[keep] == tokens[keep] { keep += 1 }
        cache.truncate(to: keep)
        slot.cachedTokens = Array(tokens[..<keep])
        stats.promptEvalCount = tokens.count - keep
        evaluated = keep
        input = Array(tokens[keep..<min(tokens.count, keep + e.batchSize)])
        sampler.accept(contentsOf: tokens)
        constraints = GenerationConstraints(options: options, engine: e, prompt: prompt)
    }

    /// Takes the logits of the pass that ran `input`; false when the job has finished (its stream
    /// ended and its slot given back), else `input` holds its next pass.
    func advance(_ logits: consuming [Float]) -> Bool {
        guard let slot else { return false }
        slot.cachedTokens.append(contentsOf: input)
        if !decoding {
            evaluated += input.count
            if evaluated < tokens.count {
                if cancelled.isSet { return end(reason: nil) }
                input = Array(tokens[evaluated..<min(tokens.count, evaluated + engine.batchSize)])
                return true
            }
            stats.promptEvalDuration = Self.now() - start
            evalStart = Self.now()
            decoding = true
        }
        do {
            return try step(consume logits, slot: slot)
        } catch {
            engine.releaseSlot(slot)
            self.slot = nil
            continuation.finish(throwing: error)
            return false
        }
    }

    /// Stops a job waiting for its next pass because it was cancelled.
    func abandon() {
        _ = end(reason: decoding ? .stop : nil)
    }

    /// One decode step: samples the next token from `logits`, streams its text, and sets `input`
    /// to it unless the generation ends here (end of turn, stop string, num_predict, context end,
    /// complete format, cancellation).
    private func step(_ logits: consuming [Float], slot: Slot) throws(EngineError) -> Bool {
        let e = engine, cache = slot.cache
        guard options.numPredict < 0 || generated < options.numPredict else { return end(reason: .length) }
        if cancelled.isSet { return end(reason: .stop) }
        guard var constraints = constraints.take() else { return end(reason: .stop) }   // set by begin
        defer { self.constraints = constraints }
        let next: Int32
        do {
            if options.ignoreEOS { for t in e.endTokens where Int(t) < logits.count { logits[Int(t)] = -1e30 } }
            next = try constraints.pick(remaining: options.numPredict >= 0 ? options.numPredict - generated : nil, logits: logits) { mask throws(SamplingError) in
                guard let mask else { return try sampler.sample(logits) }
                return try sampler.sample(logits, allowed: { mask[Int($0)] })
            }
        } catch { throw EngineError.sampling(error) }
        if e.endTokens.contains(next) { return end(reason: .stop) }
        if options.logprobs { continuation.yield(.logprob(Self.probability(of: next, in: logits, top: options.topLogprobs, e.tokenizer))) }
        sampler.accept(next)
        tokens.append(next)
        generated += 1
        let piece = decoder.push(next)
        constraints.accepted(next, text: piece)
        let (text, stopped) = stopFilter.push(piece)
        if !text.isEmpty { continuation.yield(.text(text)) }
        if stopped || constraints.formatComplete { return end(reason: .stop) }
        if cache.count == cache.capacity {
            guard options.shift, cache.count > numKeep + 1 else { return end(reason: .length) }
            let discard = (cache.count - numKeep) / 2
            e.model.shift(slot.state, keep: numKeep, discard: discard)
            slot.cachedTokens.removeSubrange(numKeep..<(numKeep + discard))
        }
        input = [next]
        return true
    }

    /// Ends the generation: the held-back text, the statistics (`reason` nil: cancelled during
    /// the prompt), the end of the stream, the slot given back. Returns false (the job is done).
    private func end(reason: DoneReason?) -> Bool {
        let finish = Self.now()
        if let reason {
            let tail = stopFilter.finish(decoder.flush())
            if !tail.isEmpty { continuation.yield(.text(tail)) }
            stats.doneReason = reason
            stats.stopSequence = stopFilter.matched
            stats.evalCount = generated
            stats.tokens = tokens
            stats.evalDuration = finish - evalStart
        } else {
            stats.promptEvalDuration = finish - start
        }
        stats.loadDuration = engine.takeLoadDuration()
        stats.totalDuration = finish - start + stats.loadDuration
        if let slot { engine.releaseSlot(slot) }
        slot = nil
        continuation.yield(.done(stats))
        continuation.finish()
        return false
    }
}

extension GenerationJob {
    /// log-softmax of `logits` at `id`, and the `top` most likely tokens (ties: lower id first).
    static func probability(of id: Int32, in logits: [Float], top: Int, _ tokenizer: any Tokenizer) -> TokenProbability {
        let m = logits.max() ?? 0
        var sum = 0.0
        for l in logits { sum += Foundation.exp(Double(l - m)) }
        let logZ = Double(m) + Foundation.log(sum)
        func candidate(_ i: Int32) -> TokenProbability.Candidate {
            let bytes = tokenizer.piece(i)
            return .init(id: i, token: String(decoding: bytes, as: UTF8.self), logprob: Double(logits[Int(i)]) - logZ, bytes: bytes)
        }
        var best: [Int32] = []   // indices of the largest logits, descending
        let k = min(max(top, 0), 20)
        if k > 0 {
            for i in logits.indices {
                let v = logits[i]
                if best.count == k, let last = best.last, v <= logits[Int(last)] { continue }
                var at = best.count
                while at > 0 && logits[Int(best[at - 1])] < v { at -= 1 }
                best.insert(Int32(i), at: at)
                if best.count > k { best.removeLast() }
            }
        }
        return TokenProbability(chosen: candidate(id), top: best.map(candidate))
    }
}

/// Holds back text that may be the start of a stop sequence; reports a completed stop sequence
/// (whose text, and anything after it, is dropped).
struct StopFilter {
    let stops: [String]
    var pending = ""
    /// The stop sequence that ended the text, once one has.
    var matched: String?

    init(_ stops: [String]) { self.stops = stops.filter { !$0.isEmpty } }

    mutating func push(_ text: String) -> (String, Bool) {
        pending += text
        for s in stops {
            if let r = pending.range(of: s) {
                let out = String(pending[..<r.lowerBound])
                pending = ""
                matched = s
                return (out, true)
            }
        }
        // Keep the longest suffix of `pending` that is a proper prefix of some stop sequence.
        var hold = 0
        for s in stops {
            var k = min(s.count - 1, pending.count)
            while k > hold {
                if pending.hasSuffix(s.prefix(k)) { hold = k; break }
                k -= 1
            }
        }
        let out = String(pending.dropLast(hold))
        pending = String(pending.suffix(hold))
        return (out, false)
    }

    mutating func finish(_ text: String) -> String {
        let (out, stopped) = push(text)
        defer { pending = "" }
        return stopped ? out : out + pending
    }
}

/// A flag set from any thread.
final class CancelFlag: Sendable {
    let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .releasing) }
    var isSet: Bool { value.load(ordering: .acquiring) }
}

/// A pthread mutex.
final class NSLockLite: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    init() { pthread_mutex_init(&mutex, nil) }
    deinit { pthread_mutex_destroy(&mutex) }
    func lock() { pthread_mutex_lock(&mutex) }
    func unlock() { pthread_mutex_unlock(&mutex) }
}

/// Runs a closure on a new detached pthread (compute stays off Swift's cooperative pool).
public enum ComputeThread {
    final class Box { let body: () -> Void; init(_ b: @escaping () -> Void) { body = b } }

    static func start(_ body: @escaping () -> Void) {
        let box = Unmanaged.passRetained(Box(body)).toOpaque()
        var thread = pthread_t()
        var attr = pthread_attr_t()
        pthread_attr_init(&attr)
        pthread_attr_setstacksize(&attr, 8 << 20)
        pthread_attr_setdetachstate(&attr, Int32(PTHREAD_CREATE_DETACHED))
        let rc = pthread_create(&thread, &attr, { raw in
            guard let raw else { return nil }
            let b = Unmanaged<Box>.fromOpaque(raw).takeRetainedValue()
            b.body()
            return nil
        }, box)
        pthread_attr_destroy(&attr)
        if rc != 0 { Unmanaged<Box>.fromOpaque(box).takeRetainedValue().body() }
    }

    /// Runs blocking work (model conversion, quantization) on its own thread, so the cooperative
    /// pool's few threads stay free for requests, and resumes the caller with its result.
    public static func run<T: Sendable>(_ body: @escaping () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<T, Error>) in
            start { c.resume(with: Result { try body() }) }
        }
    }

    /// Runs `body` on a compute thread while holding `lock`, and resumes the caller with its result.
    static func run<T: Sendable>(locked lock: NSLockLite, _ body: @escaping () throws(EngineError) -> T) async throws -> T {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<T, Error>) in
            start {
                lock.lock()
                defer { lock.unlock() }
                c.resume(with: Result { () throws(EngineError) in try body() })
            }
        }
    }
}
