// fuzz-modelfile: any bytes as a Modelfile (UTF-8, invalid sequences replaced) → Modelfile(parsing:)
// → commands or a ModelfileError; an accepted file renders (`rendered()`, what /api/show returns)
// to text that parses back to the same commands (when every value is one the syntax can hold: it has
// no escapes, so a value containing `"""`, or needing `"""` and ending with `"`, cannot), and its
// parameters and messages are readable.
// Seeds: Fuzz/Corpus/modelfile.

import FuzzSupport
import LoomStoreModelfile

Fuzz.run { bytes in
    let text = String(decoding: bytes, as: UTF8.self)
    guard let file = try? Modelfile(parsing: text) else { return }
    _ = file.parameters
    _ = file.messages
    let representable = file.commands.allSatisfy { c in
        let v = c.name == "message" ? file.messages.first { $0.role + ": " + $0.content == c.args }?.content ?? c.args : c.args
        let u = Array(v.unicodeScalars)
        let quoted = u.contains("\n") || u.first?.properties.isWhitespace == true || u.last?.properties.isWhitespace == true || u.first == "\""
        return v.scalarRange(of: "\"\"\"") == nil && !(quoted && u.contains("\"") && u.last == "\"")
    }
    guard representable else { return }
    let rendered = file.rendered()
    do {
        let again = try Modelfile(parsing: rendered)
        Fuzz.check(again == file, "render → parse changed the commands:\n\(file.commands)\n\(again.commands)\nrendered: \(rendered.debugDescription)")
    } catch {
        Fuzz.check(false, "the rendered Modelfile does not parse (\(error)): \(rendered.debugDescription)")
    }
}

extension String {
    /// Whether `marker` occurs, compared scalar by scalar.
    func scalarRange(of marker: String) -> Int? {
        let t = Array(unicodeScalars), m = Array(marker.unicodeScalars)
        guard t.count >= m.count else { return nil }
        return (0...(t.count - m.count)).first { t[$0..<$0 + m.count].elementsEqual(m) }
    }
}
