// GPT-2's byte ↔ unicode mapping for byte-level BPE: every byte becomes a printable character
// (bytes 33–126, 161–172 and 174–255 map to themselves, the other 68 to U+0100 onwards), so
// vocabulary entries are text ("Ġ" is the space byte 0x20).

enum ByteLevel {
    /// byte → scalar.
    static let encode: [Unicode.Scalar] = {
        var table = [Unicode.Scalar](repeating: " ", count: 256)
        var n: UInt32 = 0
        for b in 0..<256 {
            let printable = (33...126).contains(b) || (161...172).contains(b) || (174...255).contains(b)
            if printable {
                table[b] = Unicode.Scalar(UInt32(b)) ?? " "
            } else {
                table[b] = Unicode.Scalar(256 + n) ?? " "
                n += 1
            }
        }
        return table
    }()

    /// scalar value → byte, for the 256 mapped scalars.
    static let decode: [UInt32: UInt8] = {
        var d: [UInt32: UInt8] = [:]
        for (b, s) in encode.enumerated() { d[s.value] = UInt8(b) }
        return d
    }()

    /// The byte-level text of UTF-8 bytes.
    static func text(of bytes: some Sequence<UInt8>) -> String {
        var s = String.UnicodeScalarView()
        for b in bytes { s.append(encode[Int(b)]) }
        return String(s)
    }

    /// The bytes of a byte-level text (characters outside the mapping are kept as UTF-8).
    static func bytes(of text: String) -> [UInt8] {
        var out: [UInt8] = []
        for c in text.unicodeScalars {
            if let b = decode[c.value] { out.append(b) } else { out.append(contentsOf: Array(String(c).utf8)) }
        }
        return out
    }
}
