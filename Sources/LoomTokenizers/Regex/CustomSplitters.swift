// llama.cpp's hand-written splitters that are not plain regex semantics (src/unicode.cpp):
//
//   kimiK2       unicode_regex_split_custom_kimi_k2 — Kimi-K2's pattern
//                [\p{Han}]+ | [^\r\n\p{L}\p{N}]?<non-Han letters>+(?i:'s|'t|'re|'ve|'m|'ll|'d)?
//                | \p{N}{1,3} |  ?[^\s\p{L}\p{N}]+[\r\n]* | \s*[\r\n]+ | \s+(?!\S) | \s+
//                (letters use llama.cpp's flags; upper/lower-case distinctions of the original are dropped)
//   afmoeDigits  unicode_regex_split_custom_afmoe — each run of \p{N} is cut into a leading 1–2 digits
//                (length mod 3) and groups of 3; everything between runs is one piece
//
// Each is a line-by-line port; scalar categories come from `ScalarClassifier`.

enum CustomSplitters {
    /// Accumulates pieces that end at increasing offsets (llama.cpp's `_add_token`).
    private struct Emitter {
        var previousEnd: Int
        @discardableResult
        mutating func add(_ end: Int, _ out: inout [Range<Int>]) -> Int {
            let length = end - previousEnd
            if length > 0 { out.append(previousEnd..<end) }
            previousEnd = end
            return length
        }
    }

    private static let outOfRange = UInt32.max

    static func kimiK2(_ input: MatchInput, into out: inout [Range<Int>]) {
        let start = input.pieceStart, end = input.pieceEnd
        func cpt(_ p: Int) -> UInt32 { p >= start && p < end ? input.values[p] : outOfRange }
        func cat(_ p: Int) -> UInt8? { p >= start && p < end ? input.categories[p] : nil }
        func isLetter(_ p: Int) -> Bool { cat(p) == ScalarCategory.letter.rawValue }
        func isNumber(_ p: Int) -> Bool { cat(p) == ScalarCategory.number.rawValue }
        func isSpace(_ p: Int) -> Bool { cat(p) == ScalarCategory.whitespace.rawValue }
        func isHan(_ p: Int) -> Bool { ScalarClassifier.isHan(cpt(p)) }
        func lower(_ v: UInt32) -> UInt32 { v >= 0x41 && v <= 0x5A ? v + 0x20 : v }
        var emitter = Emitter(previousEnd: start)
        var pos = start
        while pos < end {
            let c = cpt(pos)
            if isHan(pos) {
                while isHan(pos) { pos += 1 }
                emitter.add(pos, &out)
                continue
            }
            let leadable = !(c == 0x0D || c == 0x0A || isLetter(pos) || isNumber(pos))
            if (isLetter(pos) && !isHan(pos)) || (leadable && isLetter(pos + 1) && !isHan(pos + 1)) {
                if leadable { pos += 1 }
                while isLetter(pos) && !isHan(pos) { pos += 1 }
                if cpt(pos) == 0x27 && pos + 1 < end {
                    let n = lower(cpt(pos + 1))
                    if n == 0x73 || n == 0x74 || n == 0x6D || n == 0x64 {
                        pos += 2
                    } else if pos + 2 < end {
                        let nn = lower(cpt(pos + 2))
                        if (n == 0x72 && nn == 0x65) || (n == 0x76 && nn == 0x65) || (n == 0x6C && nn == 0x6C) {
                            pos += 3
                        }
                    }
                }
                emitter.add(pos, &out)
                continue
            }
            if isNumber(pos) {
                var first = pos
                while isNumber(pos) {
                    pos += 1
                    if pos - first >= 3 { emitter.add(pos, &out); first = pos }
                }
                emitter.add(pos, &out)
                continue
            }
            // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
            let q = c == 0x20 ? pos + 1 : pos
            func isOther(_ p: Int) -> Bool { cat(p) != nil && !isSpace(p) && !isLetter(p) && !isNumber(p) }
            if isOther(q) {
                pos = q
                while isOther(pos) { pos += 1 }
                while cpt(pos) == 0x0D || cpt(pos) == 0x0A { pos += 1 }
                emitter.add(pos, &out)
                continue
            }
            var count = 0, lastNewlineEnd = 0
            while isSpace(pos + count) {
                let w = cpt(pos + count)
                if w == 0x0D || w == 0x0A { lastNewlineEnd = pos + count + 1 }
                count += 1
            }
            if lastNewlineEnd > 0 {
                pos = lastNewlineEnd
            } else if count > 1 && cpt(pos + count) != outOfRange {
                pos += count - 1
            } else if count > 0 {
                pos += count
            } else {
                pos += 1
            }
            emitter.add(pos, &out)
        }
    }

    static func afmoeDigits(_ input: MatchInput, into out: inout [Range<Int>]) {
        let start = input.pieceStart, end = input.pieceEnd
        let number = ScalarCategory.number.rawValue
        var emitter = Emitter(previousEnd: start)
        var pos = start
        while pos < end {
            guard input.categories[pos] == number else { pos += 1; continue }
            let first = pos
            while pos < end && input.categories[pos] == number { pos += 1 }
            var current = first
            let remainder = (pos - first) % 3
            if remainder > 0 { current += remainder; emitter.add(current, &out) }
            while current < pos { current += 3; emitter.add(current, &out) }
        }
        if emitter.previousEnd < end { emitter.add(end, &out) }
    }
}
