// NumberRanges: integers and numbers between bounds, as exact digit grammars (no counters).
//
// Integers in [lo, hi]: the decimal strings of a range of naturals split by length, then the
// classic digit recursion (as llama.cpp's _generate_min_max_int):
//     [x, y], same length:  x0 = y0 → x0 · [x', y']
//                           else   → x0 · [x', 99…9] | (x0+1 … y0−1) · [0-9]* | y0 · [00…0, y']
// (edges merge into the middle class when x' is all zeros or y' all nines). A negative range is
// "-" and the range of magnitudes; "-0" is never produced. A missing bound stops at 16 digits.
//
// Numbers (fractions allowed) support integer-valued bounds only, each inclusive or exclusive, and
// no exponent. With the magnitude written I(.F)? and v = I + 0.F:
//     v ≥ A  ⇔ I ≥ A                    v > A ⇔ I ≥ A+1, or I = A with F not all zeros
//     v < B  ⇔ I ≤ B−1                  v ≤ B ⇔ I ≤ B−1, or I = B with F absent or all zeros
// Non-negative values use those directly; negative values are "-" and a magnitude m > 0 with
// the bounds mirrored (x ≥ lo ⇔ m ≤ −lo). Fractions have 1–16 digits.

/// A bound on a number: an integer value, inclusive or exclusive.
struct NumberBound: Equatable {
    var value: Int64
    var exclusive: Bool
}

extension GrammarBuilder {
    /// Largest magnitude written when a side is unbounded: 16 digits, as the plain number rule.
    static let magnitudeCap: UInt64 = 9_999_999_999_999_999

    /// Digit-class sequences spelling exactly the naturals in [lo, hi] without leading zeros.
    static func naturals(_ lo: UInt64, _ hi: UInt64) -> [[ByteSet]] {
        guard lo <= hi else { return [] }
        let a = Array(String(lo).utf8).map { $0 - 48 }, b = Array(String(hi).utf8).map { $0 - 48 }
        var out: [[ByteSet]] = []
        for length in a.count...b.count {
            let x = length == a.count ? a : [1] + Array(repeating: 0, count: length - 1)
            let y = length == b.count ? b : Array(repeating: 9, count: length)
            out += sameLength(x[...], y[...])
        }
        return out
    }

    private static func digitClass(_ lo: UInt8, _ hi: UInt8) -> ByteSet {
        ByteSet((lo + 48)...(hi + 48))
    }

    /// Digit strings of equal length between x and y (x ≤ y), as digit-class sequences.
    private static func sameLength(_ x: ArraySlice<UInt8>, _ y: ArraySlice<UInt8>) -> [[ByteSet]] {
        let x0 = x[x.startIndex], y0 = y[y.startIndex]
        if x.count == 1 { return [[digitClass(x0, y0)]] }
        let xr = x.dropFirst(), yr = y.dropFirst()
        if x0 == y0 { return sameLength(xr, yr).map { [digitClass(x0, x0)] + $0 } }
        let anyDigits = Array(repeating: digit, count: x.count - 1)
        let loZeros = xr.allSatisfy { $0 == 0 }, hiNines = yr.allSatisfy { $0 == 9 }
        var out: [[ByteSet]] = []
        if !loZeros {
            let nines = ArraySlice(Array(repeating: UInt8(9), count: xr.count))
            out += sameLength(xr, nines).map { [digitClass(x0, x0)] + $0 }
        }
        let midLo = loZeros ? x0 : x0 + 1, midHi = hiNines ? y0 : y0 - 1
        if midLo <= midHi { out.append([digitClass(midLo, midHi)] + anyDigits) }
        if !hiNines {
            let zeros = ArraySlice(Array(repeating: UInt8(0), count: yr.count))
            out += sameLength(zeros, yr).map { [digitClass(y0, y0)] + $0 }
        }
        return out
    }

    private static func magnitude(_ v: Int64) -> UInt64 { v.magnitude }

    /// Integers in [lo, hi] (inclusive; nil = unbounded on that side).
    mutating func boundedInteger(lo: Int64?, hi: Int64?) -> Int {
        var alternatives: [Alternative] = []
        if hi.map({ $0 >= 0 }) ?? true {
            let from = UInt64(max(lo ?? 0, 0))
            let to = hi.map { UInt64($0) } ?? max(Self.magnitudeCap, from)
            alternatives += Self.naturals(from, to).map { $0.map { .bytes($0) } }
        }
        if lo.map({ $0 < 0 }) ?? true {
            let from = hi.map { $0 < 0 ? Self.magnitude($0) : 1 } ?? 1
            let to = lo.map { Self.magnitude($0) } ?? max(Self.magnitudeCap, from)
            alternatives += Self.naturals(from, to).map { Self.literal("-") + $0.map { .bytes($0) } }
        }
        return rule("integer[\(lo.map(String.init) ?? "")…\(hi.map(String.init) ?? "")]", alternatives)
    }

    /// Numbers (no exponent) within integer-valued bounds.
    mutating func boundedNumber(lo: NumberBound?, hi: NumberBound?) -> Int {
        var alternatives: [Alternative] = []
        if hi.map({ $0.value > 0 || ($0.value == 0 && !$0.exclusive) }) ?? true {
            let lower = lo.flatMap { $0.value >= 0 ? (UInt64($0.value), $0.exclusive) : nil } ?? (0, false)
            let upper = hi.map { (UInt64($0.value), $0.exclusive) }
            alternatives += magnitudes(lower: lower, upper: upper)
        }
        if lo.map({ $0.value < 0 }) ?? true {
            let lower = hi.flatMap { $0.value < 0 ? (Self.magnitude($0.value), $0.exclusive) : nil } ?? (0, true)
            let upper = lo.map { (Self.magnitude($0.value), $0.exclusive) }
            alternatives += magnitudes(lower: lower, upper: upper).map { Self.literal("-") + $0 }
        }
        return rule("number-range", alternatives)
    }

    /// Magnitudes I(.F)? with value in the interval from `lower` to `upper` (nil = unbounded).
    private mutating func magnitudes(
        lower: (value: UInt64, exclusive: Bool), upper: (value: UInt64, exclusive: Bool)?
    ) -> [Alternative] {
        var out: [Alternative] = []
        let anyFraction = optional("fraction", Self.literal(".") + [.rule(digits(min: 1, max: 16))])
        // I in [A', B−1] with any fraction.
        let from = lower.exclusive ? lower.value + 1 : lower.value
        if let upper {
            if upper.value >= 1 && from <= upper.value - 1 {
                out += Self.naturals(from, upper.value - 1).map { $0.map { .bytes($0) } + [.rule(anyFraction)] }
            }
        } else {
            out += Self.naturals(from, max(Self.magnitudeCap, from)).map { $0.map { .bytes($0) } + [.rule(anyFraction)] }
        }
        // I = A with a fraction that is not all zeros (just above an exclusive lower bound).
        if lower.exclusive, upper.map({ $0.value > lower.value }) ?? true {
            out.append(Self.literal(String(lower.value)) + [.rule(nonZeroFraction())])
        }
        // I = B with no fraction or an all-zero one (an inclusive upper bound).
        if let upper, !upper.exclusive, upper.value > lower.value || (upper.value == lower.value && !lower.exclusive) {
            let zeros = optional("zero-fraction", Self.literal(".") + [.rule(repeated("zeros", Self.literal("0"), min: 1, max: 16))])
            out.append(Self.literal(String(upper.value)) + [.rule(zeros)])
        }
        return out
    }

    /// "." and 1–16 digits, not all zeros.
    private mutating func nonZeroFraction() -> Int {
        shared("nonzero-fraction") { b, _ in
            // nz[k]: up to k digits with at least one non-zero digit.
            var nz = b.rule("nz1", [[.bytes(Self.nonZeroDigit)]])
            for k in 2...16 {
                nz = b.rule("nz\(k)", [
                    [.bytes(Self.nonZeroDigit), .rule(b.digits(min: 0, max: k - 1))],
                    Self.literal("0") + [.rule(nz)],
                ])
            }
            return [Self.literal(".") + [.rule(nz)]]
        }
    }
}
