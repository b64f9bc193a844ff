// ConstraintEngine: the state and caches behind TokenConstraint, as a struct so the hot loops
// touch plain stored properties (one exclusivity check per public call, not per byte).
//
// Mask walk (preorder over the TokenTrie, pruning dead subtrees), with StateTable ids:
//   level[d] = the state after the first d bytes of the current path; a dead state skips the
//   node's subtree. For a node heading a large subtree (the trie keeps its `below` byte set and
//   height h), the whole subtree is allowed at once when the uniform chain from the node's state
//   S0 covers it: S(j+1) = uniform(Sj).next with below ⊆ uniform(Sj).bytes for j < h — then every
//   node j bytes further down is in state Sj, alive, whatever the bytes. A string body maps plain
//   characters back to itself (one step settles it); a counted string (maxLength) moves to the
//   next count, so the chain is followed h steps.
// Masks are cached per state id (recent states only); `allows` runs a token's bytes through the
// transition table and remembers the result for `accept`.

struct ConstraintEngine {
    private var table: StateTable
    private let trie: TokenTrie
    private var isEnd: [Bool]
    private let endTokens: [Int32]
    private var state: Int32
    private var mask: [Bool]?
    private var probe: (token: Int32, state: Int32)?
    private var maskCache: [Int32: [Bool]] = [:]
    private var levels: [Int32]
    private var ended = false
    var statistics = ConstraintStatistics()

    static let maskCacheSize = 32

    init(grammar: Grammar, trie: TokenTrie, end: Set<Int32>) {
        table = StateTable(grammar: grammar)
        self.trie = trie
        isEnd = Array(repeating: false, count: trie.vocabularySize)
        endTokens = end.filter { $0 >= 0 && Int($0) < trie.vocabularySize }.sorted()
        for e in endTokens { isEnd[Int(e)] = true }
        levels = Array(repeating: 0, count: trie.maxDepth + 1)
        state = 0
        state = table.initial()
    }

    private var stacks: [UInt64] { table.stacks[Int(state)] }
    var isComplete: Bool { stacks.count == 1 && stacks[0] == Matcher.accept }
    var canEnd: Bool { stacks.last == Matcher.accept }
    var minimumRemaining: Int { table.minimumRemaining(state) }

    mutating func allows(_ token: Int32) -> Bool {
        guard token >= 0, Int(token) < trie.vocabularySize else { return false }
        if isEnd[Int(token)] { return canEnd && !ended }
        if let mask { return mask[Int(token)] }
        if let probe, probe.token == token { return true }
        let next = run(token)
        if next == StateTable.dead { return false }
        probe = (token, next)
        return true
    }

    /// The state after all of `token`'s bytes (`dead` if it dies or has no bytes).
    private mutating func run(_ token: Int32) -> Int32 {
        let bytes = trie.tokenBytes[Int(token)]
        if bytes.isEmpty || ended { return StateTable.dead }
        statistics.probes += 1
        var s = state
        for byte in bytes {
            s = table.next(s, byte)
            if s == StateTable.dead { break }
        }
        return s
    }

    mutating func minimumRemaining(after token: Int32) -> Int? {
        guard token >= 0, Int(token) < trie.vocabularySize, !isEnd[Int(token)] else { return nil }
        let next = run(token)
        return next == StateTable.dead ? nil : table.minimumRemaining(next)
    }

    mutating func accept(_ token: Int32) -> Bool {
        guard token >= 0, Int(token) < trie.vocabularySize, !ended else { return false }
        if isEnd[Int(token)] {
            guard canEnd else { return false }
            state = table.intern([Matcher.accept])
            ended = true
        } else if let probe, probe.token == token {
            state = probe.state
        } else if let mask, !mask[Int(token)] {
            return false
        } else {
            let next = run(token)
            if next == StateTable.dead { return false }
            state = next
        }
        probe = nil
        mask = nil
        if table.needsReset {
            state = table.reset(keeping: state)
            maskCache.removeAll()
        }
        return true
    }

    mutating func allowedTokens() -> [Bool] {
        if let mask { return mask }
        if !ended, let cached = maskCache[state] {
            statistics.maskCacheHits += 1
            mask = cached
            return cached
        }
        let computed = walk()
        if maskCache.count >= Self.maskCacheSize { maskCache.removeAll(keepingCapacity: true) }
        if !ended { maskCache[state] = computed }
        mask = computed
        return computed
    }

    /// Whether every node below a node in state `s` (bytes ⊆ `below`, up to `height` deeper) is alive.
    private mutating func coversSubtree(_ s: Int32, below: ByteSet, height: Int) -> Bool {
        var current = s
        for _ in 0..<height {
            let (bytes, next) = table.uniform(current)
            guard next != StateTable.dead, below.isSubset(of: bytes) else { return false }
            if next == current { return true }
            current = next
        }
        return true
    }

    /// The mask by a pruned preorder walk of the trie.
    private mutating func walk() -> [Bool] {
        statistics.maskWalks += 1
        var out = Array(repeating: false, count: trie.vocabularySize)
        let t = trie
        if !ended {
            levels[0] = state
            var visited = 0, skipped = 0
            var i = 1
            let n = t.nodeCount
            while i < n {
                visited += 1
                let d = Int(t.depth[i])
                let s = table.next(levels[d - 1], t.byte[i])
                if s == StateTable.dead {
                    i = Int(t.end[i])
                    continue
                }
                let summary = Int(t.belowIndex[i])
                if summary >= 0, coversSubtree(s, below: t.below[summary], height: Int(t.belowHeight[summary])) {
                    for k in Int(t.tokenStart[i])..<Int(t.tokenStart[Int(t.end[i])]) { out[Int(t.tokenOrder[k])] = true }
                    skipped += 1
                    i = Int(t.end[i])
                    continue
                }
                levels[d] = s
                for k in Int(t.tokenStart[i])..<Int(t.tokenStart[i + 1]) { out[Int(t.tokenOrder[k])] = true }
                i += 1
            }
            statistics.nodesVisited += visited
            statistics.subtreesSkipped += skipped
        }
        for e in endTokens { out[Int(e)] = canEnd && !ended }
        return out
    }
}
