// How the pre-tokenizer regex sees one Unicode scalar, following llama.cpp's "collapsed" mode
// (src/unicode.cpp, unicode_regex_split):
//
//   ASCII (< 0x80)        keeps its identity: literals and ranges match it; \p{..} classes match the
//                         ASCII members of the category (A-Za-z letters, 0-9 numbers, !"#%&'()*,-./:;?@[\]_{}
//                         punctuation, $+<=>^`|~ symbols); \s is space \t \n \v \f \r.
//   non-ASCII whitespace  llama.cpp's is_whitespace set (U+0085 U+00A0 U+1680 U+2000-200A U+2028 U+2029
//                         U+202F U+205F U+3000) is rewritten to U+000B (\v) before matching, in both modes.
//   other non-ASCII       one of letter / number / punctuation / mark / symbol / other, by the scalar's
//                         general category (L*, N*, P*, M*, S*, everything else). \p{Lu} \p{Ll} \p{Lt}
//                         \p{Lm} \p{Lo} all mean "letter" (llama.cpp collapses them). In collapsed mode
//                         (the pattern names a \p{..} category) such a scalar matches no literal or range;
//                         in code-point mode (no category in the pattern: llama.cpp's std::wregex path)
//                         literals and ranges match it by code point.
//
// A `CharSet` is one compiled bracket expression (or `.`, or an escape like \s): an ASCII bitmap with
// negation already applied, plus the rule for non-ASCII scalars above.

/// llama.cpp's collapsed category of a scalar (raw values are bit indexes in `CharSet.categoryMask`).
enum ScalarCategory: UInt8, Sendable {
    case other = 0, letter, number, punctuation, mark, symbol, whitespace
}

enum ScalarClassifier {
    /// Categories of the 128 ASCII scalars.
    static let asciiCategories: [UInt8] = (0..<128).map { value in
        guard let scalar = Unicode.Scalar(UInt32(value)) else { return ScalarCategory.other.rawValue }
        return general(scalar).rawValue
    }

    /// llama.cpp's category of `scalar` (whitespace first, then general category).
    @inline(__always)
    static func category(_ scalar: Unicode.Scalar) -> UInt8 {
        let value = scalar.value
        if value < 0x80 { return asciiCategories[Int(value)] }
        return general(scalar).rawValue
    }

    private static func general(_ scalar: Unicode.Scalar) -> ScalarCategory {
        if isWhitespace(scalar.value) { return .whitespace }
        switch scalar.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            return .letter
        case .decimalNumber, .letterNumber, .otherNumber:
            return .number
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return .punctuation
        case .nonspacingMark, .spacingMark, .enclosingMark:
            return .mark
        case .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
            return .symbol
        default:
            return .other
        }
    }

    /// llama.cpp's `unicode_set_whitespace` (unicode-data.cpp).
    static func isWhitespace(_ value: UInt32) -> Bool {
        switch value {
        case 0x09...0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }

    /// llama.cpp's `unicode_cpt_is_han`: CJK ideograph blocks.
    static func isHan(_ value: UInt32) -> Bool {
        switch value {
        case 0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2EBEF, 0xF900...0xFAFF,
             0x2F800...0x2FA1F:
            return true
        default:
            return false
        }
    }

    /// ASCII word character for \w and \b.
    @inline(__always)
    static func isWord(_ value: UInt32) -> Bool {
        (value >= 0x30 && value <= 0x39) || (value >= 0x41 && value <= 0x5A)
            || (value >= 0x61 && value <= 0x7A) || value == 0x5F
    }
}

/// One item of a bracket expression, as parsed.
enum ClassItem: Sendable, Equatable {
    case range(UInt32, UInt32)
    case category(ScalarCategory)
    case space(negated: Bool)
    case digit(negated: Bool)
    case word(negated: Bool)
    case han
}

/// A compiled set of scalars (see the contract at the top of this file).
struct CharSet: Sendable {
    private var low: UInt64 = 0
    private var high: UInt64 = 0
    /// Bit `c` set: a non-ASCII, non-whitespace scalar of category `c` is in the set (before negation).
    private var categoryMask: UInt8 = 0
    /// Non-ASCII ranges, sorted and merged (matched in code-point mode only).
    private var ranges: [ClosedRange<UInt32>] = []
    private var han = false
    private var negated = false

    init(items: [ClassItem], negated: Bool) {
        self.negated = negated
        for value in UInt32(0)..<128 {
            let category = ScalarClassifier.asciiCategories[Int(value)]
            var hit = false
            for item in items where Self.asciiMatch(item, value, category) { hit = true; break }
            if hit != negated {
                if value < 64 { low |= 1 << UInt64(value) } else { high |= 1 << UInt64(value - 64) }
            }
        }
        var wide: [ClosedRange<UInt32>] = []
        for item in items {
            switch item {
            case let .range(a, b) where b >= 0x80: wide.append(max(a, 0x80)...b)
            case let .category(c): categoryMask |= 1 << c.rawValue
            case .space(true), .digit(true), .word(true): categoryMask |= 0x3F
            case .han: han = true
            default: break
            }
        }
        wide.sort { $0.lowerBound < $1.lowerBound }
        for r in wide {
            if let last = ranges.last, r.lowerBound <= last.upperBound &+ 1 {
                ranges[ranges.count - 1] = last.lowerBound...max(last.upperBound, r.upperBound)
            } else {
                ranges.append(r)
            }
        }
    }

    private static func asciiMatch(_ item: ClassItem, _ value: UInt32, _ category: UInt8) -> Bool {
        switch item {
        case let .range(a, b): return a <= value && value <= b
        case let .category(c): return c.rawValue == category
        case let .space(neg): return (category == ScalarCategory.whitespace.rawValue) != neg
        case let .digit(neg): return (value >= 0x30 && value <= 0x39) != neg
        case let .word(neg): return ScalarClassifier.isWord(value) != neg
        case .han: return false
        }
    }

    @inline(__always)
    private func ascii(_ value: UInt32) -> Bool {
        value < 64 ? (low >> UInt64(value)) & 1 != 0 : (high >> UInt64(value - 64)) & 1 != 0
    }

    /// Whether the scalar `value` of llama.cpp category `category` is in the set.
    @inline(__always)
    func contains(_ value: UInt32, _ category: UInt8, collapsed: Bool) -> Bool {
        if value < 0x80 { return ascii(value) }
        if category == ScalarCategory.whitespace.rawValue { return ascii(0x0B) }
        if categoryMask & (1 << category) != 0 { return !negated }
        if han && ScalarClassifier.isHan(value) { return !negated }
        if !collapsed && !ranges.isEmpty && inRanges(value) { return !negated }
        return negated
    }

    private func inRanges(_ value: UInt32) -> Bool {
        var lo = 0, hi = ranges.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if ranges[mid].upperBound < value { lo = mid + 1 } else { hi = mid }
        }
        return lo < ranges.count && ranges[lo].contains(value)
    }
}
