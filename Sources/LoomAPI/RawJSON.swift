// RawJSON: the source text of one member of a JSON object body, as the client wrote it. Foundation's
// JSONDecoder does not keep object key order, and a JSON Schema's property order is the order a
// constrained model writes the properties in (llama.cpp and Ollama keep it), so `format` is also
// kept as text (`formatSource`) for the schema compiler, which reads keys in order.

/// Requests whose `format` is kept as source text too.
public protocol FormatCarrying {
    var format: JSONValue? { get }
    var formatSource: String? { get set }
}

extension GenerateRequest: FormatCarrying {}
extension ChatRequest: FormatCarrying {}

/// Scanning JSON text without building values.
public enum RawJSON {
    /// The text of member `key` of the top-level object in `bytes` (nil if absent or not an object).
    public static func member(_ key: String, in bytes: [UInt8]) -> String? {
        var i = skipSpace(bytes, 0)
        guard i < bytes.count, bytes[i] == UInt8(ascii: "{") else { return nil }
        i += 1
        while true {
            i = skipSpace(bytes, i)
            guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else { return nil }
            let keyStart = i
            guard let keyEnd = skipValue(bytes, i) else { return nil }
            i = skipSpace(bytes, keyEnd)
            guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else { return nil }
            let valueStart = skipSpace(bytes, i + 1)
            guard let valueEnd = skipValue(bytes, valueStart) else { return nil }
            let name = String(decoding: bytes[(keyStart + 1)..<(keyEnd - 1)], as: UTF8.self)
            if name == key { return String(decoding: bytes[valueStart..<valueEnd], as: UTF8.self) }
            i = skipSpace(bytes, valueEnd)
            guard i < bytes.count, bytes[i] == UInt8(ascii: ",") else { return nil }
            i += 1
        }
    }

    static func skipSpace(_ b: [UInt8], _ start: Int) -> Int {
        var i = start
        while i < b.count, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
        return i
    }

    /// The index just past the value starting at `start` (strings, containers, literals, numbers).
    static func skipValue(_ b: [UInt8], _ start: Int) -> Int? {
        guard start < b.count else { return nil }
        var i = start, depth = 0
        repeat {
            guard i < b.count else { return nil }
            switch b[i] {
            case UInt8(ascii: "\""):
                i += 1
                while i < b.count, b[i] != UInt8(ascii: "\"") { i += b[i] == UInt8(ascii: "\\") ? 2 : 1 }
                guard i < b.count else { return nil }
                i += 1
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1; i += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1; i += 1
            default:
                if depth == 0 {   // a literal or number ends at a delimiter
                    while i < b.count, ![UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x0A, 0x0D, 0x09].contains(b[i]) { i += 1 }
                } else {
                    i += 1
                }
            }
        } while depth > 0
        return i
    }
}
