// StateTable: matcher states interned to small ids, with transitions filled in on first use — a
// DFA built lazily over the pushdown Matcher, so a byte that was seen before from a state costs
// one array load instead of a stack expansion.
//
//   stacks[id]                  the state's sorted stack codes (Matcher.swift)
//   transitions[id · 256 + b]   next state id; `unknown` until computed, `dead` when b kills it
//   uniform(id)                 the largest group of bytes that all lead to the same next state
//                               (a string body: every plain character → the next count, or back
//                               to itself); the mask walk uses chains of these to accept whole
//                               trie subtrees without visiting them
// Memory is 1 KiB of transitions per state; `needsReset` asks the owner to start over (keeping
// its current state) past `maxStates`, or when the matcher's arena grows past `maxArena`.

/// Interned matcher states with lazily computed transitions.
struct StateTable {
    static let unknown: Int32 = -2
    static let dead: Int32 = -1
    static let maxStates = 8192
    static let maxArena = 1 << 20

    private var matcher: Matcher
    private(set) var stacks: [[UInt64]] = []
    private var ids: [[UInt64]: Int32] = [:]
    private var transitions: [Int32] = []
    private var uniformSet: [ByteSet] = []
    private var uniformNext: [Int32] = []
    private var scratch: [UInt64] = []

    init(grammar: Grammar) {
        matcher = Matcher(grammar: grammar)
    }

    /// The id of the state before any byte.
    mutating func initial() -> Int32 {
        intern(matcher.initial())
    }

    /// The id of `state` (added if new); `state` must be non-empty and sorted.
    mutating func intern(_ state: [UInt64]) -> Int32 {
        if let id = ids[state] { return id }
        let id = Int32(stacks.count)
        stacks.append(state)
        ids[state] = id
        transitions.append(contentsOf: repeatElement(Self.unknown, count: 256))
        uniformSet.append(ByteSet())
        uniformNext.append(Self.unknown)
        return id
    }

    /// The state after `byte` from state `id` (`dead` when the byte is not allowed).
    @inline(__always)
    mutating func next(_ id: Int32, _ byte: UInt8) -> Int32 {
        let t = transitions[Int(id) &* 256 &+ Int(byte)]
        return t != Self.unknown ? t : compute(id, byte)
    }

    private mutating func compute(_ id: Int32, _ byte: UInt8) -> Int32 {
        matcher.advance(stacks[Int(id)], byte, into: &scratch)
        let t = scratch.isEmpty ? Self.dead : intern(scratch)
        transitions[Int(id) * 256 + Int(byte)] = t
        return t
    }

    /// The largest set of bytes leading from `id` to one same state, and that state.
    mutating func uniform(_ id: Int32) -> (bytes: ByteSet, next: Int32) {
        let cached = uniformNext[Int(id)]
        if cached != Self.unknown { return (uniformSet[Int(id)], cached) }
        var counts: [Int32: Int] = [:]
        var targets = [Int32](repeating: Self.dead, count: 256)
        for b in 0..<256 {
            let t = next(id, UInt8(b))
            targets[b] = t
            if t != Self.dead { counts[t, default: 0] += 1 }
        }
        let best = counts.max { $0.value < $1.value || ($0.value == $1.value && $0.key > $1.key) }?.key ?? Self.dead
        var set = ByteSet()
        if best != Self.dead {
            for b in 0..<256 where targets[b] == best { set.insert(UInt8(b)) }
        }
        uniformSet[Int(id)] = set
        uniformNext[Int(id)] = best
        return (set, best)
    }

    /// The fewest bytes that complete the value from state `id`.
    func minimumRemaining(_ id: Int32) -> Int {
        matcher.minimumRemaining(stacks[Int(id)])
    }

    /// True when the table or the matcher's arena has grown past its limit.
    var needsReset: Bool {
        stacks.count > Self.maxStates || matcher.arenaSize > Self.maxArena
    }

    /// Forgets every state but `id` (compacting the arena); returns its new id.
    mutating func reset(keeping id: Int32) -> Int32 {
        let kept = matcher.compact(keeping: stacks[Int(id)])
        stacks.removeAll(keepingCapacity: true)
        ids.removeAll(keepingCapacity: true)
        transitions.removeAll(keepingCapacity: true)
        uniformSet.removeAll(keepingCapacity: true)
        uniformNext.removeAll(keepingCapacity: true)
        return intern(kept)
    }
}
