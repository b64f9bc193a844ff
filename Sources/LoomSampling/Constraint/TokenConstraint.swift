// TokenConstraint: one generation's constraint over a vocabulary — which tokens may come next.
//
// The runtime's loop per step (llama.cpp samples the same way: check the drawn token first):
//     var token = try sampler.sample(logits)                       // unconstrained draw
//     if !constraint.allows(token) {                               // runs only its bytes: ~1 µs
//         let mask = constraint.allowedTokens()                    // pruned trie walk, cached
//         token = try sampler.sample(logits, allowed: { mask[Int($0)] })
//     }
//     constraint.accept(token)                                     // reuses the state `allows` made
//     if constraint.isComplete { stop }                            // or when `token` is an end id
// For plain temperature sampling the result has the masked distribution. Passing `allows` itself
// as the `allowed` closure is fine once `allowedTokens()` ran for this step (it is then a lookup),
// but before that it would run every token's bytes. The mask is cached until `accept`, and
// recurring states (inside a string, say) reuse their mask from a small cache.
//
// End tokens (EOS/EOT ids) are allowed exactly when the value may end here (`canEnd`); after the
// top-level value closes (`isComplete`) they are the only ones allowed. Tokens with no bytes that
// are not end tokens are never allowed. Not thread-safe: one instance per generation.

/// Per-generation matcher state over the vocabulary.
public final class TokenConstraint {
    /// The vocabulary index this constraint walks.
    public let trie: TokenTrie
    private var engine: ConstraintEngine

    /// A constraint over `tokenBytes` (building the trie now; prefer `init(spec:trie:end:)` and
    /// cache the trie per model). `end` = the ids that end generation (EOS/EOT).
    public convenience init(spec: JSONConstraintSpec, tokenBytes: [[UInt8]], end: Set<Int32>) {
        self.init(spec: spec, trie: TokenTrie(tokenBytes: tokenBytes), end: end)
    }

    /// A constraint over a prebuilt vocabulary trie; `end` = the ids that end generation.
    public init(spec: JSONConstraintSpec, trie: TokenTrie, end: Set<Int32>) {
        self.trie = trie
        engine = ConstraintEngine(grammar: spec.grammar, trie: trie, end: end)
    }

    /// Whether `token` may come next (cheap: runs only this token's bytes).
    public func allows(_ token: Int32) -> Bool {
        engine.allows(token)
    }

    /// The full mask for this step: `mask[id]` is true when token `id` may come next.
    /// Computed on first use after each `accept`, then cached.
    public func allowedTokens() -> [Bool] {
        engine.allowedTokens()
    }

    /// Advances by the chosen token's bytes; returns false (state unchanged) if it was not allowed.
    @discardableResult
    public func accept(_ token: Int32) -> Bool {
        engine.accept(token)
    }

    /// The top-level value is complete and nothing may follow it: generation should end now.
    public var isComplete: Bool { engine.isComplete }

    /// The value may end here (end tokens are allowed); true whenever `isComplete` is.
    public var canEnd: Bool { engine.canEnd }

    /// The fewest bytes that would complete the value from here (0 when it can end).
    public var minimumBytesToComplete: Int { engine.minimumRemaining }

    /// The fewest bytes that would complete the value after `token`, or nil if it is not allowed.
    public func minimumBytesToComplete(after token: Int32) -> Int? {
        engine.minimumRemaining(after: token)
    }

    /// Counters of the work done so far (for benchmarks and diagnostics).
    public var statistics: ConstraintStatistics { engine.statistics }
}

/// How much work a TokenConstraint did.
public struct ConstraintStatistics: Sendable, Equatable {
    /// `allows` calls answered by running the token's bytes.
    public var probes = 0
    /// Full masks computed by a trie walk.
    public var maskWalks = 0
    /// Full masks served from the cache of recent states.
    public var maskCacheHits = 0
    /// Trie nodes visited by all mask walks.
    public var nodesVisited = 0
    /// Trie subtrees accepted whole without walking them.
    public var subtreesSkipped = 0
}
