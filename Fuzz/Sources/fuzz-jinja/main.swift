// fuzz-jinja: any bytes as a chat template's source (UTF-8, invalid sequences replaced) → lexer →
// parser → interpreter, rendered with a real chat context (Fuzz/jinja-context.json: system, user,
// assistant and tool messages, tools, add_generation_prompt, bos/eos tokens) → text or a
// TemplateError, never a crash or a hang (the interpreter's limits: 1M loop iterations, 64 MiB
// output, macro depth).
// Seeds: Fuzz/Corpus/jinja (the real templates of Fixtures/templates/llama.cpp and hostile snippets).

import Foundation
import FuzzSupport
import LoomTemplate

/// The render context, Fuzz/jinja-context.json (TemplateFuzzTests renders the committed findings
/// with the same file), read and parsed once (Fuzz/lsan.supp: what fuzzSetUp* keeps for the whole
/// run is not a leak).
@inline(never)
func fuzzSetUpContext() -> JinjaObject {
    let path = Fuzz.root + "/Fuzz/jinja-context.json"
    guard let data = FileManager.default.contents(atPath: path),
          case let .object(c)? = try? JinjaValue.parseJSON(String(decoding: data, as: UTF8.self)) else {
        Fuzz.check(false, "the fuzz context \(path) is missing or does not parse")
        return JinjaObject()
    }
    return c
}

let context = fuzzSetUpContext()
let options = RenderOptions(now: TemplateDate(year: 2026, month: 1, day: 2, hour: 3, minute: 4, second: 5))

Fuzz.run { bytes in
    let source = String(decoding: bytes, as: UTF8.self)
    guard let template = try? ChatTemplate(source: source, name: "fuzz") else { return }
    _ = try? template.render(context, options: options)
}
