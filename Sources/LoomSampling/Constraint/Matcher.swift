// Matcher: runs a Grammar over bytes as a nondeterministic pushdown automaton (llama.cpp's
// llama_grammar_accept, with shared stacks).
//
// A parse stack is (pos, rest): `pos` is the position of the byte class to match next, `rest` the
// continuation — a linked list of positions in the arena, shared between stacks and hash-consed, so
// equal continuations have equal indices and two stacks are equal iff their 64-bit codes are equal:
//     stack code = UInt64(pos) << 32 | UInt64(rest)        (rest = 0xFFFF_FFFF: empty)
//     `accept`   = all ones: the start rule is complete
// A state is a sorted, duplicate-free array of stack codes (the alternatives still alive); an empty
// state is dead. Advancing by a byte keeps the stacks whose class contains it and expands each to
// its next byte classes (`add`): END pops the continuation, a rule reference pushes the position
// after it — except in tail position (the reference is last in its alternative), where the
// continuation is reused, so right-recursive repetitions (string bodies, digit runs) do not grow
// the stack and map a state onto itself. That is what lets the token mask skip whole trie subtrees.
// States keep at most `maxStacks` stacks; dropping extra alternatives only narrows the language, and
// every stack left can still finish (Grammar drops unproductive alternatives), so it stays safe.

/// Byte-level matcher state over one Grammar: the hash-consed continuation arena.
struct Matcher {
    static let accept: UInt64 = .max
    static let noRest: UInt32 = .max
    static let maxStacks = 256

    let grammar: Grammar
    private var nodePos: [Int32] = []
    private var nodeNext: [UInt32] = []
    private var table: [Int32]
    private var tableMask: Int

    init(grammar: Grammar) {
        self.grammar = grammar
        table = Array(repeating: -1, count: 1024)
        tableMask = 1023
    }

    /// Number of continuation nodes (grows with the distinct continuations seen).
    var arenaSize: Int { nodePos.count }

    /// The state before any byte.
    mutating func initial() -> [UInt64] {
        var out: [UInt64] = []
        let root = grammar.root
        for a in Int(grammar.ruleAlts[root])..<Int(grammar.ruleAlts[root + 1]) {
            add(grammar.altStarts[a], Self.noRest, into: &out)
        }
        return out
    }

    /// The state after `byte` from `state` into `out` (emptied first); empty = dead.
    mutating func advance(_ state: [UInt64], _ byte: UInt8, into out: inout [UInt64]) {
        out.removeAll(keepingCapacity: true)
        for code in state where code != Self.accept {
            let pos = Int32(truncatingIfNeeded: code >> 32)
            let set = grammar.elements[Int(pos)]
            if grammar.sets[Int(set)].contains(byte) {
                add(pos + 1, UInt32(truncatingIfNeeded: code), into: &out)
            }
        }
    }

    /// Expands the stack (pos, rest) to stacks whose top is a byte class, inserted into `out`.
    private mutating func add(_ start: Int32, _ startRest: UInt32, into out: inout [UInt64]) {
        var pos = start
        var rest = startRest
        while true {
            let e = grammar.elements[Int(pos)]
            if e >= 0 {
                Self.insert(UInt64(UInt32(bitPattern: pos)) << 32 | UInt64(rest), into: &out)
                return
            }
            if e == Grammar.end {
                if rest == Self.noRest {
                    Self.insert(Self.accept, into: &out)
                    return
                }
                pos = nodePos[Int(rest)]
                rest = nodeNext[Int(rest)]
                continue
            }
            let r = Int(-1 - e)
            let continuation = grammar.elements[Int(pos) + 1] == Grammar.end ? rest : push(pos + 1, rest)
            for a in Int(grammar.ruleAlts[r])..<Int(grammar.ruleAlts[r + 1]) {
                add(grammar.altStarts[a], continuation, into: &out)
            }
            return
        }
    }

    /// Sorted insertion without duplicates, capped at maxStacks.
    @inline(__always)
    private static func insert(_ code: UInt64, into out: inout [UInt64]) {
        var i = out.count
        while i > 0 && out[i - 1] > code { i -= 1 }
        if i > 0 && out[i - 1] == code { return }
        if out.count >= maxStacks { return }
        out.insert(code, at: i)
    }

    /// The arena index of the continuation node (pos, next), created if new.
    private mutating func push(_ pos: Int32, _ next: UInt32) -> UInt32 {
        let key = UInt64(UInt32(bitPattern: pos)) << 32 | UInt64(next)
        var h = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32) & tableMask
        while true {
            let slot = table[h]
            if slot < 0 { break }
            if nodePos[Int(slot)] == pos && nodeNext[Int(slot)] == next { return UInt32(slot) }
            h = (h + 1) & tableMask
        }
        let index = Int32(nodePos.count)
        nodePos.append(pos)
        nodeNext.append(next)
        table[h] = index
        if nodePos.count * 2 > table.count { rehash(capacity: table.count * 2) }
        return UInt32(index)
    }

    private mutating func rehash(capacity: Int) {
        table = Array(repeating: -1, count: capacity)
        tableMask = capacity - 1
        for i in 0..<nodePos.count {
            let key = UInt64(UInt32(bitPattern: nodePos[i])) << 32 | UInt64(nodeNext[i])
            var h = Int(truncatingIfNeeded: (key &* 0x9E37_79B9_7F4A_7C15) >> 32) & tableMask
            while table[h] >= 0 { h = (h + 1) & tableMask }
            table[h] = Int32(i)
        }
    }

    /// The fewest bytes that complete the start rule from `state` (0 when it can end now).
    func minimumRemaining(_ state: [UInt64]) -> Int {
        var best = Int.max
        for code in state {
            if code == Self.accept { return 0 }
            var total = Int(grammar.remaining[Int(code >> 32)])
            var rest = UInt32(truncatingIfNeeded: code)
            while rest != Self.noRest {
                total += Int(grammar.remaining[Int(nodePos[Int(rest)])])
                rest = nodeNext[Int(rest)]
            }
            best = min(best, total)
        }
        return best
    }

    /// Rebuilds the arena with only the nodes `state` reaches; returns `state` renumbered.
    mutating func compact(keeping state: [UInt64]) -> [UInt64] {
        let oldPos = nodePos, oldNext = nodeNext
        nodePos.removeAll(keepingCapacity: true)
        nodeNext.removeAll(keepingCapacity: true)
        table = Array(repeating: -1, count: 1024)
        tableMask = 1023
        var memo: [UInt32: UInt32] = [:]
        func copy(_ index: UInt32) -> UInt32 {
            if index == Self.noRest { return index }
            if let done = memo[index] { return done }
            let next = copy(oldNext[Int(index)])
            let new = push(oldPos[Int(index)], next)
            memo[index] = new
            return new
        }
        var out: [UInt64] = []
        for code in state {
            if code == Self.accept { out.append(code); continue }
            let rest = copy(UInt32(truncatingIfNeeded: code))
            out.append(code & 0xFFFF_FFFF_0000_0000 | UInt64(rest))
        }
        return out.sorted()
    }
}
