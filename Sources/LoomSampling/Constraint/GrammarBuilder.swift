// GrammarBuilder: a context-free grammar over bytes, built rule by rule (GBNF-like, without text).
//
//   rule        := alternative | alternative | …      (an empty alternative derives ε)
//   alternative := symbol symbol …                     symbol = byte class | rule reference
//
// Rules may be reserved before they are defined, so recursive schemas ($ref to an ancestor) work.
// Repetition helpers expand bounded counts into chains of rules (x{2,4} = x x (x (x)?)?), which
// keeps the matcher a plain pushdown automaton with no counters. Every expansion is bounded by
// `maxRepeat`; a larger count is recorded in `problems` and reported as ConstraintError.tooComplex.
// `build` (Grammar.swift) checks the result and flattens it for the matcher.

/// One symbol of a rule alternative: a byte class or a reference to a rule.
enum Symbol: Hashable, Sendable {
    case bytes(ByteSet)
    case rule(Int)
}

/// A sequence of symbols; an empty alternative derives the empty string.
typealias Alternative = [Symbol]

/// Builds a byte-level context-free grammar.
struct GrammarBuilder {
    /// Alternatives of each rule (an undefined reserved rule has none: it derives nothing).
    private(set) var rules: [[Alternative]] = []
    /// A name per rule, for debugging.
    private(set) var names: [String] = []
    /// Shared rules by key (whitespace, digits, …).
    private var memo: [String: Int] = [:]
    /// Size problems found while building (each becomes ConstraintError.tooComplex).
    var problems: [String] = []

    /// Largest count a single repetition may expand to.
    static let maxRepeat = 100_000
    /// Largest number of rules a grammar may have.
    static let maxRules = 1_000_000

    /// A new rule with no alternatives yet (define it later).
    mutating func reserve(_ name: String) -> Int {
        rules.append([])
        names.append(name)
        return rules.count - 1
    }

    /// Sets the alternatives of a reserved rule.
    mutating func define(_ id: Int, _ alternatives: [Alternative]) {
        rules[id] = alternatives
    }

    /// A new rule with the given alternatives.
    mutating func rule(_ name: String, _ alternatives: [Alternative]) -> Int {
        let id = reserve(name)
        define(id, alternatives)
        return id
    }

    /// The rule stored under `key`, made once by `make` (reserved first, so `make` may recurse).
    mutating func shared(_ key: String, _ make: (inout GrammarBuilder, Int) -> [Alternative]) -> Int {
        if let id = memo[key] { return id }
        let id = reserve(key)
        memo[key] = id
        let alternatives = make(&self, id)
        define(id, alternatives)
        return id
    }

    /// The bytes of `s` as a sequence of one-byte classes.
    static func literal(_ s: String) -> Alternative {
        literal(bytes: Array(s.utf8))
    }

    /// `bytes` as a sequence of one-byte classes.
    static func literal(bytes: [UInt8]) -> Alternative {
        bytes.map { .bytes(ByteSet([$0])) }
    }

    /// A rule deriving nothing (the empty language); references to it are pruned by `build`.
    mutating func never() -> Int {
        shared("never") { _, _ in [] }
    }

    /// A rule deriving only ε.
    mutating func empty() -> Int {
        shared("empty") { _, _ in [[]] }
    }

    /// `item` repeated `min…max` times (max nil = unbounded), no separator.
    mutating func repeated(_ name: String, _ item: Alternative, min: Int, max: Int?) -> Int {
        if min > Self.maxRepeat || (max ?? 0) > Self.maxRepeat {
            problems.append("\(name) repeats up to \(Swift.max(min, max ?? 0)) times (limit \(Self.maxRepeat))")
            return never()
        }
        var tail: Int
        if let max {
            if max < min { return never() }
            tail = empty()
            for _ in 0..<(max - min) { tail = rule(name, [item + [.rule(tail)], []]) }
        } else {
            tail = reserve(name)
            define(tail, [item + [.rule(tail)], []])
        }
        for _ in 0..<min { tail = rule(name, [item + [.rule(tail)]]) }
        return tail
    }

    /// `item?` as a rule.
    mutating func optional(_ name: String, _ item: Alternative) -> Int {
        rule(name, [item, []])
    }

    /// A rule with one alternative per given rule (a union).
    mutating func union(_ name: String, _ members: [Int]) -> Int {
        if members.count == 1 { return members[0] }
        return rule(name, members.map { [.rule($0)] })
    }
}
