// DecimalText: exact reading of a JSON number's text for schema bounds (no binary floating point).
//
// "12.50e1" → negative false, integer digits "125", fraction non-zero false. Bounds are used only
// when they fit in Int64 after rounding: |value| < 10^18 (larger magnitudes report `nil` from
// `floor`/`ceil`, and the compiler treats them as "beyond every value Loom writes" or unsupported).

/// A JSON number's value as sign, integer part and whether a non-zero fraction follows.
struct DecimalText: Equatable {
    var negative: Bool
    /// The integer part's digits without leading zeros ("0" for zero).
    var integerDigits: String
    /// True when the value has a non-zero fractional part.
    var hasFraction: Bool

    /// Parses JSON number text (as produced by JSONValue); nil if it is not one.
    init?(_ text: String) {
        var bytes = Array(text.utf8)[...]
        negative = bytes.first == UInt8(ascii: "-")
        if negative { bytes = bytes.dropFirst() }
        var mantissa: [UInt8] = []
        var point: Int?
        var exponent = 0
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let c = bytes[i]
            if c >= 0x30 && c <= 0x39 {
                mantissa.append(c)
            } else if c == UInt8(ascii: ".") {
                point = mantissa.count
            } else if c == UInt8(ascii: "e") || c == UInt8(ascii: "E") {
                guard let e = Int(String(decoding: bytes[(i + 1)...], as: UTF8.self)) ?? Self.hugeExponent(bytes[(i + 1)...]) else {
                    return nil
                }
                exponent = e
                break
            } else {
                return nil
            }
            i += 1
        }
        if mantissa.isEmpty { return nil }
        // value = 0.mantissa × 10^(pointPosition)
        let position = (point ?? mantissa.count) + exponent
        let trimmed = mantissa.drop(while: { $0 == 0x30 })
        if trimmed.isEmpty {
            integerDigits = "0"
            hasFraction = false
            negative = false
            return
        }
        let leading = mantissa.count - trimmed.count
        let digits = Array(trimmed)
        let intCount = position - leading  // digits of `digits` before the decimal point
        if intCount <= 0 {
            integerDigits = "0"
            hasFraction = true
        } else if intCount >= digits.count {
            integerDigits = intCount > 40 ? String(repeating: "9", count: 40)
                : String(decoding: digits, as: UTF8.self) + String(repeating: "0", count: intCount - digits.count)
            hasFraction = false
        } else {
            integerDigits = String(decoding: digits[..<intCount], as: UTF8.self)
            hasFraction = digits[intCount...].contains { $0 != 0x30 }
        }
    }

    private static func hugeExponent(_ s: ArraySlice<UInt8>) -> Int? {
        let body = s.first == UInt8(ascii: "-") || s.first == UInt8(ascii: "+") ? s.dropFirst() : s
        guard !body.isEmpty, body.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        return s.first == UInt8(ascii: "-") ? -1_000_000 : 1_000_000
    }

    var isIntegral: Bool { !hasFraction }

    /// The integer part as Int64 when |integer part| < 10^18.
    private var integerPart: Int64? {
        guard integerDigits.count <= 18, let v = Int64(integerDigits) else { return nil }
        return negative ? -v : v
    }

    /// ⌊value⌋ when it fits (|value| < 10^18).
    var floor: Int64? {
        guard let i = integerPart else { return nil }
        return negative && hasFraction ? i - 1 : i
    }

    /// ⌈value⌉ when it fits (|value| < 10^18).
    var ceil: Int64? {
        guard let i = integerPart else { return nil }
        return !negative && hasFraction ? i + 1 : i
    }
}
