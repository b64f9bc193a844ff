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
        let v = c.name == "message" ? String(c.args.drop { $0 != " " }.dropFirst()) : c.args
        let quoted = v.contains("\n") || v.first?.isWhitespace == true || v.last?.isWhitespace == true || v.first == "\""
        return !v.contains("\"\"\"") && !(quoted && v.contains("\"") && v.hasSuffix("\""))
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
