// A compiled pre-tokenizer regex and its backtracking matcher.
//
// Program: a flat instruction list (Pike/Thompson style) run by a backtracking VM with an explicit
// stack, which gives ECMAScript semantics: leftmost match, alternatives tried in order, greedy
// quantifiers that backtrack, lookaheads that are atomic and see only the current piece.
//
//   set i          consume one scalar if it is in sets[i]
//   split a b      try a; on failure resume at b with the same position
//   jump a         goto a
//   look a / notLook a   run the body at pc+1 (ends in `match`) at the current position without
//                  consuming; continue at a if it matched (look) / did not match (notLook)
//   start end boundary notBoundary   ^ (piece start), $ (piece end), \b, \B
//   match          success
//
// Counted repeats are expanded: x{2,4} = x x (x (x)?)?. Splitting (`splitPiece`) follows
// std::regex_iterator as llama.cpp's unicode_regex_split_stl uses it: after an empty match at p the
// next match must be non-empty at p, or is searched from p+1; text between matches is its own piece;
// empty pieces are not emitted (llama.cpp emits 0-length offsets there, which encode to nothing).

struct RegexProgram: Sendable {
    enum Op: UInt8, Sendable { case set, split, jump, match, start, end, boundary, notBoundary, look, notLook }
    struct Instruction: Sendable {
        var op: Op
        var a: Int32 = 0
        var b: Int32 = 0
    }

    private(set) var code: [Instruction] = []
    private(set) var sets: [CharSet] = []
    /// Dense index of each `split` instruction (-1 for other instructions), for the failure memo.
    private(set) var splitIndex: [Int32] = []
    private(set) var splitCount = 0
    /// llama.cpp's collapsed mode: non-ASCII, non-whitespace scalars match categories, not literals.
    let collapsed: Bool
    /// Limit on the expanded program size.
    static let maxInstructions = 200_000

    init(_ node: RegexNode, collapsed: Bool, pattern: String) throws(TokenizerError) {
        self.collapsed = collapsed
        try emit(node, pattern: pattern)
        code.append(Instruction(op: .match))
        splitIndex = code.map { _ in -1 }
        for (pc, inst) in code.enumerated() where inst.op == .split {
            splitIndex[pc] = Int32(splitCount)
            splitCount += 1
        }
    }

    private mutating func append(_ op: Op, _ a: Int = 0, _ b: Int = 0) -> Int {
        code.append(Instruction(op: op, a: Int32(a), b: Int32(b)))
        return code.count - 1
    }

    private mutating func emit(_ node: RegexNode, pattern: String) throws(TokenizerError) {
        if code.count > Self.maxInstructions {
            throw .invalidRegex(pattern: pattern, reason: "pattern expands to more than \(Self.maxInstructions) instructions")
        }
        switch node {
        case .empty:
            break
        case let .set(set):
            sets.append(set)
            _ = append(.set, sets.count - 1)
        case let .sequence(nodes):
            for n in nodes { try emit(n, pattern: pattern) }
        case let .alternation(nodes):
            var jumps: [Int] = []
            for (i, n) in nodes.enumerated() {
                if i == nodes.count - 1 {
                    try emit(n, pattern: pattern)
                } else {
                    let split = append(.split)
                    code[split].a = Int32(code.count)
                    try emit(n, pattern: pattern)
                    jumps.append(append(.jump))
                    code[split].b = Int32(code.count)
                }
            }
            for j in jumps { code[j].a = Int32(code.count) }
        case let .repetition(body, min, max):
            for _ in 0..<min { try emit(body, pattern: pattern) }
            if let max {
                var splits: [Int] = []
                for _ in min..<max {
                    let split = append(.split)
                    code[split].a = Int32(code.count)
                    splits.append(split)
                    try emit(body, pattern: pattern)
                }
                for s in splits { code[s].b = Int32(code.count) }
            } else {
                let split = append(.split)
                code[split].a = Int32(code.count)
                try emit(body, pattern: pattern)
                _ = append(.jump, split)
                code[split].b = Int32(code.count)
            }
        case let .lookahead(body, negated):
            let look = append(negated ? .notLook : .look)
            try emit(body, pattern: pattern)
            _ = append(.match)
            code[look].a = Int32(code.count)
        case .startAnchor: _ = append(.start)
        case .endAnchor: _ = append(.end)
        case let .wordBoundary(negated): _ = append(negated ? .notBoundary : .boundary)
        }
    }
}

/// The text being split: scalar values and llama.cpp categories, with the current piece's bounds.
struct MatchInput {
    let values: UnsafeBufferPointer<UInt32>
    let categories: UnsafeBufferPointer<UInt8>
    var pieceStart = 0
    var pieceEnd = 0
}

/// Reusable backtracking state (one per split call; no allocation per scalar once grown).
///
/// Backtracking is exponential or quadratic on some inputs (e.g. `\s+$` over a long run of spaces
/// that does not end the piece). Once a piece has cost more than `budget` steps, a failure memo
/// turns on: a (split instruction, position) reached again in the top-level program has already
/// failed (no nullable loops, no captures), so it is pruned. This bounds the work per piece by
/// O(splits × length) without changing any result. After a match, the memo entries at the match
/// end are cleared (the successful path visited them without failing).
struct Matcher {
    private var stack: [Int] = []
    private var memo: [UInt64] = []
    private var memoActive = false
    private var steps = 0
    private var budget = 0
    private var memoStride = 0
    /// The memo is not used for pieces where it would exceed 8 MiB.
    static let maxMemoBits = 64 << 20

    /// Splits `input`'s piece `pieceStart..<pieceEnd` by `program`, appending pieces to `out`.
    mutating func splitPiece(_ program: RegexProgram, _ input: MatchInput, into out: inout [Range<Int>]) {
        let start = input.pieceStart, end = input.pieceEnd
        var last = start  // end of the last emitted piece
        var from = start  // where the next search begins
        var notNullAt = -1  // after an empty match at p: a match at p must be non-empty
        memoActive = false
        steps = 0
        budget = 64 * (end - start) + 4096
        memoStride = end - start + 1
        program.code.withUnsafeBufferPointer { code in
            program.sets.withUnsafeBufferPointer { sets in
                while from <= end {
                    var found: (Int, Int)? = nil
                    var p = from
                    while p <= end {
                        let e = run(code, sets, program, input, pc: 0, pos: p, notNullFrom: p == notNullAt ? p : -1, top: true)
                        if e >= 0 { found = (p, e); break }
                        p += 1
                    }
                    guard let (s, e) = found else { break }
                    if memoActive { forgetColumn(e - start, program.splitCount) }
                    if s > last { out.append(last..<s) }
                    if e > s { out.append(s..<e) }
                    last = e
                    if e == s { notNullAt = s; from = s } else { from = e; notNullAt = -1 }
                    if e == s && s == end { break }
                }
            }
        }
        if last < end { out.append(last..<end) }
    }

    /// States of a successful path are in the memo too; later searches start at or after the match
    /// end, so only those at the end position could be reached again: clear them.
    private mutating func forgetColumn(_ offset: Int, _ splitCount: Int) {
        for k in 0..<splitCount {
            let bit = k * memoStride + offset
            memo[bit >> 6] &= ~(1 << UInt64(bit & 63))
        }
    }

    private mutating func activateMemo(_ splitCount: Int) {
        let words = (splitCount * memoStride + 63) / 64
        memo.removeAll(keepingCapacity: true)
        memo.append(contentsOf: repeatElement(0, count: words))
        memoActive = true
    }

    /// Runs the program anchored at `pos`; returns the match end or -1 (`top`: not inside a lookahead).
    private mutating func run(
        _ code: UnsafeBufferPointer<RegexProgram.Instruction>, _ sets: UnsafeBufferPointer<CharSet>,
        _ program: RegexProgram, _ input: MatchInput, pc startPC: Int, pos startPos: Int, notNullFrom: Int,
        top: Bool
    ) -> Int {
        let collapsed = program.collapsed
        let base = stack.count
        var pc = startPC, pos = startPos
        let end = input.pieceEnd
        while true {
            let inst = code[pc]
            var ok = true
            switch inst.op {
            case .set:
                if pos < end, sets[Int(inst.a)].contains(input.values[pos], input.categories[pos], collapsed: collapsed) {
                    pos += 1; pc += 1
                } else { ok = false }
            case .split:
                if top {
                    steps += 1
                    if memoActive {
                        let bit = Int(program.splitIndex[pc]) * memoStride + (pos - input.pieceStart)
                        if memo[bit >> 6] & (1 << UInt64(bit & 63)) != 0 { ok = false; break }
                        memo[bit >> 6] |= 1 << UInt64(bit & 63)
                    } else if steps > budget && program.splitCount * memoStride <= Self.maxMemoBits {
                        activateMemo(program.splitCount)
                    }
                }
                stack.append(Int(inst.b)); stack.append(pos)
                pc = Int(inst.a)
            case .jump:
                pc = Int(inst.a)
            case .match:
                if pos == notNullFrom { ok = false } else {
                    stack.removeSubrange(base...)
                    return pos
                }
            case .start:
                if pos == input.pieceStart { pc += 1 } else { ok = false }
            case .end:
                if pos == end { pc += 1 } else { ok = false }
            case .boundary, .notBoundary:
                let before = pos > input.pieceStart && ScalarClassifier.isWord(input.values[pos - 1])
                let after = pos < end && ScalarClassifier.isWord(input.values[pos])
                if (before != after) == (inst.op == .boundary) { pc += 1 } else { ok = false }
            case .look, .notLook:
                let hit = run(code, sets, program, input, pc: pc + 1, pos: pos, notNullFrom: -1, top: false) >= 0
                if hit == (inst.op == .look) { pc = Int(inst.a) } else { ok = false }
            }
            if ok { continue }
            if stack.count == base { return -1 }
            pos = stack.removeLast()
            pc = stack.removeLast()
        }
    }
}
