// ByteSet: a set of byte values (0…255) as four 64-bit words — the terminals of the grammar.
//
// Grammar terminals are byte classes, not characters: UTF-8 is spelled out byte by byte
// (JSONGrammar.swift), so a multi-byte character may be split across tokens.

/// A set of bytes, 256 bits.
struct ByteSet: Hashable, Sendable {
    var w0: UInt64 = 0, w1: UInt64 = 0, w2: UInt64 = 0, w3: UInt64 = 0

    init() {}

    /// The set of the given bytes.
    init(_ bytes: [UInt8]) {
        for b in bytes { insert(b) }
    }

    /// The set of every byte in the closed range.
    init(_ range: ClosedRange<UInt8>) {
        for b in range { insert(b) }
    }

    /// The set of the ASCII characters in `s` (e.g. "0123456789").
    init(ascii s: String) {
        for b in s.utf8 { insert(b) }
    }

    /// Every byte.
    static let all: ByteSet = {
        var s = ByteSet()
        s.w0 = .max; s.w1 = .max; s.w2 = .max; s.w3 = .max
        return s
    }()

    var isEmpty: Bool { (w0 | w1 | w2 | w3) == 0 }

    @inline(__always) func contains(_ b: UInt8) -> Bool {
        let bit = UInt64(1) << UInt64(b & 63)
        switch b >> 6 {
        case 0: return w0 & bit != 0
        case 1: return w1 & bit != 0
        case 2: return w2 & bit != 0
        default: return w3 & bit != 0
        }
    }

    mutating func insert(_ b: UInt8) {
        let bit = UInt64(1) << UInt64(b & 63)
        switch b >> 6 {
        case 0: w0 |= bit
        case 1: w1 |= bit
        case 2: w2 |= bit
        default: w3 |= bit
        }
    }

    func union(_ o: ByteSet) -> ByteSet {
        var s = self
        s.w0 |= o.w0; s.w1 |= o.w1; s.w2 |= o.w2; s.w3 |= o.w3
        return s
    }

    func subtracting(_ o: ByteSet) -> ByteSet {
        var s = self
        s.w0 &= ~o.w0; s.w1 &= ~o.w1; s.w2 &= ~o.w2; s.w3 &= ~o.w3
        return s
    }

    func isSubset(of o: ByteSet) -> Bool {
        (w0 & ~o.w0) | (w1 & ~o.w1) | (w2 & ~o.w2) | (w3 & ~o.w3) == 0
    }

    /// The members in increasing order.
    var members: [UInt8] {
        (0...255).compactMap { contains(UInt8($0)) ? UInt8($0) : nil }
    }
}
