// Sampler: logits → next token id, following the sampler chain llama.cpp's common/sampling.cpp
// builds by default (and Ollama's llama.cpp runner uses):
//
//   mask (allowed) → penalties → top_k → typical_p → top_p → min_p → temperature → softmax → draw
//
// * mask: disallowed tokens are excluded before everything else (none allowed → .noAllowedToken).
// * temperature ≤ 0: greedy — exact argmax of the masked, penalized logits, ties → lowest id; the
//   filters are skipped (they cannot change the argmax, except typical_p, which greedy ignores) and
//   the RNG is not touched.
// * Every logit is checked first: NaN/±inf throws .nonFiniteLogit with the first offending index.
// * The RNG is xoshiro256** seeded via SplitMix64 (RandomSource.swift); the math is libm-free
//   (SamplingMath.swift), so a seed ≥ 0 reproduces the same tokens on every machine.
// * One Sampler per generation: it owns the RNG and the penalty window. It is a struct whose arrays
//   keep their capacity, so steady-state sampling does not allocate. Not for concurrent use (it is
//   mutated by every call); copies are independent.
// Filters and their exact formulas: CandidateSet+Filters.swift; penalties: PenaltyWindow.swift.

/// Picks the next token from a logits vector; one per generation (owns RNG and penalty window).
public struct Sampler: Sendable {
    /// The options this sampler was created with.
    public let options: SamplingOptions
    /// The seed actually used (options.seed, or the random one drawn when it was negative).
    public let seed: UInt64

    private var rng: Xoshiro256StarStar
    private var window: PenaltyWindow
    private var candidates = CandidateSet()
    /// Copy of the logits when a mask or penalties must modify them; [vocabulary size].
    private var work: [Float] = []
    private let optionError: SamplingError?

    /// Creates a sampler; a negative seed draws one from the system RNG.
    public init(options: SamplingOptions) {
        self.options = options
        if options.seed >= 0 {
            seed = UInt64(options.seed)
        } else {
            var system = SystemRandomNumberGenerator()
            seed = system.next()
        }
        rng = Xoshiro256StarStar(seed: seed)
        window = PenaltyWindow(capacity: options.repeatLastN)
        optionError = options.validationError
    }

    /// Records a token (generated or from the prompt) in the penalty window.
    public mutating func accept(_ token: Int32) {
        window.append(token)
    }

    /// Records several tokens in order (e.g. the prompt) in the penalty window.
    public mutating func accept<S: Sequence>(contentsOf tokens: S) where S.Element == Int32 {
        for t in tokens { window.append(t) }
    }

    /// Clears the penalty window (the RNG stream continues).
    public mutating func resetPenalties() {
        window.removeAll()
    }

    /// Samples the next token id from `logits` ([vocabulary size]); `allowed` masks tokens out.
    /// Does not record the token: call `accept` with the token actually used.
    public mutating func sample(
        _ logits: [Float], allowed: ((Int32) -> Bool)? = nil
    ) throws(SamplingError) -> Int32 {
        try logits.withUnsafeBufferPointer { (buffer) throws(SamplingError) -> Int32 in
            try sample(buffer, allowed: allowed)
        }
    }

    /// Samples the next token id from `logits` ([vocabulary size]); `allowed` masks tokens out.
    /// Does not record the token: call `accept` with the token actually used.
    public mutating func sample(
        _ logits: UnsafeBufferPointer<Float>, allowed: ((Int32) -> Bool)? = nil
    ) throws(SamplingError) -> Int32 {
        if let optionError { throw optionError }
        let n = logits.count
        if n == 0 { throw .emptyLogits }
        if n > Int(Int32.max) { throw .vocabularyTooLarge(count: n) }
        if let i = Self.firstNonFinite(logits) { throw .nonFiniteLogit(index: i, value: logits[i]) }
        let penalize = !window.isEmpty
            && (options.repeatPenalty != 1 || options.frequencyPenalty != 0 || options.presencePenalty != 0)
        if allowed == nil && !penalize {
            return try chain(logits)
        }
        // Copy into the reused work buffer, masking with −inf, then apply the penalties.
        var work = self.work
        self.work = []
        defer { self.work = work }
        work.removeAll(keepingCapacity: true)
        var anyAllowed = allowed == nil
        if let allowed {
            work.reserveCapacity(n)
            for i in 0..<n {
                if allowed(Int32(truncatingIfNeeded: i)) {
                    work.append(logits[i])
                    anyAllowed = true
                } else {
                    work.append(-.infinity)
                }
            }
        } else {
            work.append(contentsOf: logits)
        }
        if !anyAllowed { throw .noAllowedToken }
        if penalize {
            let o = options
            work.withUnsafeMutableBufferPointer {
                window.apply(
                    to: $0, repeatPenalty: o.repeatPenalty,
                    frequencyPenalty: o.frequencyPenalty, presencePenalty: o.presencePenalty)
            }
        }
        return try work.withUnsafeBufferPointer { (buffer) throws(SamplingError) -> Int32 in
            try chain(buffer)
        }
    }

    /// Runs greedy or the filter chain on prepared logits (−inf = masked; at least one finite).
    private mutating func chain(_ logits: UnsafeBufferPointer<Float>) throws(SamplingError) -> Int32 {
        let o = options
        if o.temperature <= 0 {
            guard let best = Self.argmax(logits) else { throw .noAllowedToken }
            return best
        }
        candidates.fill(topK: o.topK, from: logits)
        if candidates.items.isEmpty { throw .noAllowedToken }
        candidates.typical(o.typicalP)
        candidates.topP(o.topP)
        candidates.minP(o.minP)
        candidates.temperature(o.temperature)
        return candidates.draw(unit: rng.nextUnit())
    }
}
