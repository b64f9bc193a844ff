// fuzz-jinja: any bytes as a chat template's source (UTF-8, invalid sequences replaced) → lexer →
// parser → interpreter, rendered with a real chat context (system + user + assistant + tool
// messages, tools, add_generation_prompt, bos/eos tokens) → text or a TemplateError, never a crash
// or a hang (the interpreter's limits: 1M loop iterations, 64 MiB output, macro depth).
// Seeds: Fuzz/Corpus/jinja (the real templates of Fixtures/templates/llama.cpp and hostile snippets).

import FuzzSupport
import LoomTemplate

let contextJSON = """
{"messages": [
  {"role": "system", "content": "You are a helpful assistant."},
  {"role": "user", "content": "What is the weather in Paris?"},
  {"role": "assistant", "content": "", "tool_calls": [{"type": "function", "function": {"name": "get_weather", "arguments": {"city": "Paris"}}}]},
  {"role": "tool", "content": "22 degrees", "tool_name": "get_weather"},
  {"role": "assistant", "content": "It is 22 degrees.", "thinking": "easy"},
  {"role": "user", "content": [{"type": "text", "text": "Thanks!"}]}],
 "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Weather now",
   "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}],
 "add_generation_prompt": true, "bos_token": "<s>", "eos_token": "</s>", "enable_thinking": true}
"""

/// Parsed once (Fuzz/lsan.supp: what fuzzSetUp* keeps for the whole run is not a leak).
@inline(never)
func fuzzSetUpContext() -> JinjaObject {
    guard case let .object(c)? = try? JinjaValue.parseJSON(contextJSON) else {
        Fuzz.check(false, "the fuzz context does not parse")
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
