// PromptCache: KV-cache prefixes kept in memory beyond an engine's slots, for any later request of
// the same engine (same model, context and KV type) whose prompt starts with them.
//
// A slot's KV cache already serves the next request that shares its prefix (BatchStepper.swift),
// but there are only `parallel` slots: when an unrelated request takes a slot, what it held would be
// lost. Before that, the engine saves the slot's tokens and stored rows here (`save`); a request
// whose prompt shares a longer prefix with an entry than with its slot has that prefix copied back
// (`lookup`, then KVCache.restore) instead of recomputing it — system prompts, few-shot prefixes,
// the conversations of clients taking turns on one slot (llama-server's `--cache-ram`).
// The entries' bytes stay within `budget` (LOOM_PROMPT_CACHE, MiB): the least recently used entries
// are evicted first, an entry larger than the budget is not kept, and an entry whose tokens are a
// prefix of a newer one's is replaced by it. A restored prefix has the bits it was computed with, so
// outputs are the same as without the cache.
// Thread-safe (one lock); the copies are made by the caller's thread, outside the engine's locks.

import Foundation
import LoomModels

/// A memory-budgeted LRU store of KV-cache prefixes (tokens → stored rows).
final class PromptCache: @unchecked Sendable {
    /// One saved prefix: `tokens` and their rows.
    final class Entry: @unchecked Sendable {
        let tokens: [Int32]
        let snapshot: KVSnapshot
        var lastUsed: UInt64 = 0
        init(tokens: [Int32], snapshot: KVSnapshot) {
            self.tokens = tokens
            self.snapshot = snapshot
        }
    }

    /// Most bytes the entries may hold (0: the cache keeps nothing).
    let budget: Int
    /// Shortest prefix worth keeping or restoring, in tokens.
    let minimumTokens: Int
    private var entries: [Entry] = []
    private var clock: UInt64 = 0
    private let lock = NSLock()

    init(budget: Int, minimumTokens: Int = 16) {
        self.budget = max(0, budget)
        self.minimumTokens = max(1, minimumTokens)
    }

    /// Bytes held by the entries.
    var byteCount: Int { lock.withLock { entries.reduce(0) { $0 + $1.snapshot.byteCount } } }

    /// Number of entries.
    var count: Int { lock.withLock { entries.count } }

    /// Keeps `tokens` with the first `tokens.count` rows of `cache` (copied now), evicting least
    /// recently used entries to stay within the budget. Nothing is kept when the prefix is too short
    /// or too big, or when an entry already holds it (that entry is touched instead).
    func save(tokens: [Int32], from cache: KVCache) {
        guard budget > 0, tokens.count >= minimumTokens, tokens.count <= cache.count else { return }
        let bytes = 2 * cache.layers * cache.kvHeads * tokens.count * cache.headBytes
        guard bytes <= budget else { return }
        let covered: Bool = lock.withLock {
            guard let e = entries.first(where: { Self.hasPrefix($0.tokens, tokens) }) else { return false }
            clock += 1
            e.lastUsed = clock
            return true
        }
        if covered { return }
        let entry = Entry(tokens: tokens, snapshot: cache.snapshot(count: tokens.count))
        lock.withLock {
            entries.removeAll { Self.hasPrefix(tokens, $0.tokens) }
            var held = entries.reduce(0) { $0 + $1.snapshot.byteCount }
            while held + bytes > budget, let oldest = entries.indices.min(by: { entries[$0].lastUsed < entries[$1].lastUsed }) {
                held -= entries[oldest].snapshot.byteCount
                entries.remove(at: oldest)
            }
            clock += 1
            entry.lastUsed = clock
            entries.append(entry)
        }
    }

    /// The entry sharing the longest prefix with `tokens` (at least `minimumTokens` and more than
    /// `better` tokens), and that length; touches it.
    func lookup(_ tokens: [Int32], better: Int) -> (entry: Entry, shared: Int)? {
        lock.withLock {
            var best: (Entry, Int)?
            for e in entries {
                let n = Self.sharedPrefix(e.tokens, tokens)
                if n >= minimumTokens && n > better && n > (best?.1 ?? 0) { best = (e, n) }
            }
            guard let best else { return nil }
            clock += 1
            best.0.lastUsed = clock
            return best
        }
    }

    /// Drops every entry.
    func removeAll() { lock.withLock { entries.removeAll() } }

    static func sharedPrefix(_ a: [Int32], _ b: [Int32]) -> Int {
        var n = 0
        let limit = min(a.count, b.count)
        while n < limit && a[n] == b[n] { n += 1 }
        return n
    }

    /// Whether `a` starts with `b`.
    static func hasPrefix(_ a: [Int32], _ b: [Int32]) -> Bool { b.count <= a.count && sharedPrefix(a, b) == b.count }
}

extension Engine {
    /// Before a request of `tokens` (already cut to the context) decodes on `slot`: when the prompt
    /// cache shares a longer prefix with it than the slot does, that prefix is restored into the
    /// slot; and when at least `minimumTokens` of what the slot holds would be overwritten, that is
    /// saved first. At least one prompt token is always left to evaluate (for fresh logits).
    func preparePrefix(_ slot: Slot, for tokens: [Int32]) {
        guard promptCache.budget > 0, tokens.count > 1 else { return }
        let limit = tokens.count - 1
        let own = min(PromptCache.sharedPrefix(slot.cachedTokens, tokens), limit)
        let hit = promptCache.lookup(tokens, better: own)
        let kept = hit.map { min(PromptCache.sharedPrefix(slot.cachedTokens, $0.entry.tokens), $0.shared) } ?? own
        if slot.cachedTokens.count - kept >= promptCache.minimumTokens && slot.cachedTokens.count == slot.cache.count {
            promptCache.save(tokens: slot.cachedTokens, from: slot.cache)
        }
        if let (entry, shared) = hit, slot.cache.accepts(entry.snapshot) {
            let n = min(shared, limit)
            slot.cache.restore(entry.snapshot, positions: n)
            slot.cachedTokens = Array(entry.tokens[..<n])
        }
    }
}
