// Pre-tokenization: cut text into the "words" byte-level BPE merges within, as llama.cpp's
// unicode_regex_split does (src/unicode.cpp).
//
//   pieces₀ = [whole text]
//   piecesᵢ = for each piece of piecesᵢ₋₁: run regexᵢ over that piece alone (left to right, leftmost
//             matches; anchors and lookaheads see the piece's end as the end of input), keeping every
//             match and every stretch between matches as pieces
//
// So the output always concatenates back to the input and no piece is empty. Offsets are in Unicode
// scalars. Scalars are classified once per call (`ScalarClassifier.category`).

/// Runs pre-tokenizer regexes over text.
public enum PreTokenizer {
    /// Splits `text` by applying `regexes` in sequence; returns the pieces as scalar-offset ranges
    /// (non-empty, in order, covering `text` exactly).
    public static func splitRanges(_ text: [Unicode.Scalar], _ regexes: [PreTokenizerRegex]) -> [Range<Int>] {
        if text.isEmpty { return [] }
        var values = [UInt32](repeating: 0, count: text.count)
        var categories = [UInt8](repeating: 0, count: text.count)
        for (i, s) in text.enumerated() {
            values[i] = s.value
            categories[i] = ScalarClassifier.category(s)
        }
        var pieces = [0..<text.count]
        var next: [Range<Int>] = []
        var splitter = PieceSplitter()
        values.withUnsafeBufferPointer { valueBuffer in
            categories.withUnsafeBufferPointer { categoryBuffer in
                var input = MatchInput(values: valueBuffer, categories: categoryBuffer)
                for regex in regexes {
                    next.removeAll(keepingCapacity: true)
                    next.reserveCapacity(pieces.count * 2)
                    for piece in pieces {
                        input.pieceStart = piece.lowerBound
                        input.pieceEnd = piece.upperBound
                        splitter.split(regex, input, into: &next)
                    }
                    swap(&pieces, &next)
                }
            }
        }
        return pieces
    }

    /// Splits `text` by applying `regexes` in sequence; returns the pieces as slices of `text`
    /// (non-empty, in order, concatenating to `text`).
    public static func split(_ text: [Unicode.Scalar], _ regexes: [PreTokenizerRegex]) -> [ArraySlice<Unicode.Scalar>] {
        splitRanges(text, regexes).map { text[$0] }
    }

    /// Splits a string; returns the pieces as strings.
    public static func split(_ text: String, _ regexes: [PreTokenizerRegex]) -> [String] {
        let scalars = Array(text.unicodeScalars)
        return splitRanges(scalars, regexes).map { range in
            var piece = ""
            piece.unicodeScalars.append(contentsOf: scalars[range])
            return piece
        }
    }

    /// The compiled pattern list for a `tokenizer.ggml.pre` value (nil when the value is unknown).
    public static func regexes(for pre: String) throws(TokenizerError) -> [PreTokenizerRegex]? {
        guard let list = patterns(for: pre) else { return nil }
        var result: [PreTokenizerRegex] = []
        for pattern in list { result.append(try PreTokenizerRegex(pattern)) }
        return result
    }
}
