// Grammar: the checked, flattened form of a GrammarBuilder grammar, read by the Matcher.
//
// Layout (llama.cpp's llama_grammar uses the same idea):
//   elements[pos]  one symbol per position; every alternative is its symbols followed by END
//                  ≥ 0 → index into `sets` (a byte class)   −1 − r → reference to rule r   END
//   altStarts      the position where each alternative starts, grouped by rule:
//                  rule r's alternatives are altStarts[ruleAlts[r] ..< ruleAlts[r + 1]]
//   remaining[pos] the fewest bytes that finish the sequence from pos to its END
//
// `build` checks, in order:
//   1. size: the rule count and every repetition stay within GrammarBuilder's limits (tooComplex);
//   2. productivity: each rule's shortest derivation (fixpoint); alternatives that reference a rule
//      deriving no finite string are dropped, so every state the matcher reaches can still finish;
//      a root that derives nothing → invalidSchema ("no finite JSON value satisfies the schema");
//   3. left recursion: a rule reachable from itself without consuming a byte (e.g. a $ref cycle
//      with no object or array in between) → invalidSchema, since the matcher would not terminate.

/// A checked, flattened byte grammar.
struct Grammar: Sendable {
    static let end: Int32 = .min

    let elements: [Int32]
    let sets: [ByteSet]
    let altStarts: [Int32]
    let ruleAlts: [Int32]
    let remaining: [Int32]
    let root: Int
    let names: [String]

    /// Checks and flattens `builder`'s grammar with `root` as the start rule.
    init(_ builder: GrammarBuilder, root: Int) throws(ConstraintError) {
        if let problem = builder.problems.first { throw .tooComplex(problem) }
        if builder.rules.count > GrammarBuilder.maxRules {
            throw .tooComplex("\(builder.rules.count) grammar rules (limit \(GrammarBuilder.maxRules))")
        }
        let minLength = Grammar.shortestDerivations(builder.rules)
        let infinite = Int.max
        guard minLength[root] != infinite else {
            throw .invalidSchema("no finite JSON value satisfies the schema")
        }
        // Keep only alternatives whose every referenced rule derives something finite.
        let rules: [[Alternative]] = builder.rules.map { alternatives in
            alternatives.filter { alt in
                alt.allSatisfy { if case let .rule(r) = $0 { return minLength[r] != infinite } else { return true } }
            }
        }
        if let cycle = Grammar.leftRecursion(rules, minLength: minLength, root: root) {
            throw .invalidSchema("\(builder.names[cycle]) refers to itself without consuming input")
        }
        var elements: [Int32] = []
        var remaining: [Int32] = []
        var sets: [ByteSet] = []
        var setIndex: [ByteSet: Int32] = [:]
        var altStarts: [Int32] = []
        var ruleAlts: [Int32] = [0]
        for alternatives in rules {
            for alt in alternatives {
                altStarts.append(Int32(elements.count))
                var lengths: [Int] = []
                for symbol in alt {
                    switch symbol {
                    case let .bytes(set):
                        if let i = setIndex[set] {
                            elements.append(i)
                        } else {
                            setIndex[set] = Int32(sets.count)
                            elements.append(Int32(sets.count))
                            sets.append(set)
                        }
                        lengths.append(1)
                    case let .rule(r):
                        elements.append(-1 - Int32(r))
                        lengths.append(minLength[r])
                    }
                }
                elements.append(Grammar.end)
                // Suffix sums, saturated to keep Int32.
                var suffix: [Int32] = Array(repeating: 0, count: lengths.count + 1)
                for k in stride(from: lengths.count - 1, through: 0, by: -1) {
                    suffix[k] = Int32(min(Int(Int32.max / 2), Int(suffix[k + 1]) + lengths[k]))
                }
                remaining.append(contentsOf: suffix)
            }
            ruleAlts.append(Int32(altStarts.count))
        }
        self.elements = elements
        self.remaining = remaining
        self.sets = sets
        self.altStarts = altStarts
        self.ruleAlts = ruleAlts
        self.root = root
        self.names = builder.names
    }

    /// The fewest bytes each rule derives (Int.max when it derives no finite string).
    static func shortestDerivations(_ rules: [[Alternative]]) -> [Int] {
        let infinite = Int.max
        var best = Array(repeating: infinite, count: rules.count)
        var changed = true
        while changed {
            changed = false
            for (r, alternatives) in rules.enumerated() {
                for alt in alternatives {
                    var total = 0
                    for symbol in alt {
                        switch symbol {
                        case .bytes: total += 1
                        case let .rule(s): total = best[s] == infinite ? infinite : total + best[s]
                        }
                        if total == infinite { break }
                    }
                    if total < best[r] {
                        best[r] = total
                        changed = true
                    }
                }
            }
        }
        return best
    }

    /// A rule on a cycle of references that consume no byte, reachable from `root`, if any.
    static func leftRecursion(_ rules: [[Alternative]], minLength: [Int], root: Int) -> Int? {
        // Edges r → s when s can be the first thing r derives.
        func leftEdges(_ r: Int) -> [Int] {
            var out: [Int] = []
            for alt in rules[r] {
                for symbol in alt {
                    guard case let .rule(s) = symbol else { break }
                    out.append(s)
                    if minLength[s] != 0 { break }
                }
            }
            return out
        }
        // Iterative DFS with colors: 0 unseen, 1 on the path, 2 done.
        var color = Array(repeating: UInt8(0), count: rules.count)
        var reachable = [root]
        var seen = Set([root])
        // Every reachable rule is a DFS start, so cycles behind a consumed byte are found too.
        while let r = reachable.popLast() {
            for alt in rules[r] {
                for case let .rule(s) in alt where !seen.contains(s) {
                    seen.insert(s)
                    reachable.append(s)
                }
            }
        }
        for start in seen where color[start] == 0 {
            var stack: [(rule: Int, edges: [Int], next: Int)] = [(start, leftEdges(start), 0)]
            color[start] = 1
            while !stack.isEmpty {
                let top = stack.count - 1
                if stack[top].next == stack[top].edges.count {
                    color[stack[top].rule] = 2
                    stack.removeLast()
                    continue
                }
                let s = stack[top].edges[stack[top].next]
                stack[top].next += 1
                if color[s] == 1 { return s }
                if color[s] == 0 {
                    color[s] = 1
                    stack.append((s, leftEdges(s), 0))
                }
            }
        }
        return nil
    }
}
