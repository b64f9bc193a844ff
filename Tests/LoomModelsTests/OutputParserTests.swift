// Output parsers (LoomRuntime/Output): the thinking splitter and the tool-call parser turn streamed
// text into Ollama's fields. Model outputs are rendered from the real chat templates in
// Fixtures/templates/llama.cpp (an assistant turn with tool_calls — the exact text a model trained
// on that template emits), and every test stream is also fed split at every position, one and two
// characters at a time and at random cuts: the result must equal feeding it whole.

import Foundation
import Testing
@testable import LoomRuntime
import LoomJSON
import LoomTemplate

/// Deterministic splits of a text into pieces (Characters, so every piece is a valid String).
enum Splits {
    static func all(_ text: String, seed: UInt64 = 7) -> [[String]] {
        let chars = Array(text)
        var out: [[String]] = [[text], chars.map(String.init), stride(from: 0, to: chars.count, by: 2).map { String(chars[$0..<min($0 + 2, chars.count)]) }]
        for cut in 1..<max(chars.count, 1) { out.append([String(chars[..<cut]), String(chars[cut...])]) }
        var state = seed
        for _ in 0..<20 {
            var pieces: [String] = []
            var i = 0
            while i < chars.count {
                state = state &* 6364136223846793005 &+ 1442695040888963407
                let n = 1 + Int((state >> 33) % 7)
                pieces.append(String(chars[i..<min(i + n, chars.count)]))
                i += n
            }
            out.append(pieces)
        }
        return out
    }
}

enum TemplateFixtures {
    static func source(_ name: String) throws -> String {
        let dir = name == "SmolLM2-135M-Instruct" ? "/Fixtures/templates/" : "/Fixtures/templates/llama.cpp/"
        return try String(contentsOfFile: ModelFixtures.root + dir + name + ".jinja", encoding: .utf8)
    }

    static let weatherTool: JinjaValue = (try? JinjaValue.parseJSON(#"[{"type":"function","function":{"name":"get_weather","description":"Weather in a city","parameters":{"type":"object","properties":{"city":{"type":"string"},"unit":{"type":"string"}},"required":["city"]}}}]"#)) ?? JinjaValue.none

    /// The assistant turn the template renders for `calls` (name, arguments JSON) after one user
    /// message: the full conversation minus the generation prompt, cut at the end-of-turn token.
    static func assistantText(_ name: String, content: String = "", calls: [(String, String)]) throws -> String {
        let template = try ChatTemplate(source: try source(name), name: name)
        func context(_ messages: [JinjaValue], generation: Bool) -> JinjaObject {
            var c = JinjaObject()
            c["messages"] = .array(messages)
            c["tools"] = weatherTool
            c["add_generation_prompt"] = .bool(generation)
            c["bos_token"] = .string("<s>")
            c["eos_token"] = .string("</s>")
            return c
        }
        var user = JinjaObject()
        user["role"] = .string("user")
        user["content"] = .string("What is the weather in Paris and in Lyon?")
        var assistant = JinjaObject()
        assistant["role"] = .string("assistant")
        assistant["content"] = .string(content)
        assistant["tool_calls"] = .array(try calls.enumerated().map { n, call in
            var f = JinjaObject()
            f["name"] = .string(call.0)
            f["arguments"] = try JinjaValue.parseJSON(call.1)
            var c = JinjaObject()
            c["id"] = .string("call\(n)abcd")
            c["type"] = .string("function")
            c["function"] = .object(f)
            return .object(c)
        })
        let prompt = try template.render(context([.object(user)], generation: true))
        let full = try template.render(context([.object(user), .object(assistant)], generation: false))
        var common = 0   // Mistral templates have no generation prompt: take the longest common prefix
        for (a, b) in zip(prompt.unicodeScalars, full.unicodeScalars) { if a == b { common += 1 } else { break } }
        var text = String(String.UnicodeScalarView(full.unicodeScalars.dropFirst(common)))
        for end in ["<|im_end|>", "<|eot_id|>", "<|eom_id|>", "<|end_of_text|>", "</s>"] {
            if let r = text.range(of: end) { text = String(text[..<r.lowerBound]) }
        }
        return text
    }
}

@Suite("output parsers")
struct OutputParserTests {
    // MARK: thinking

    func pair(_ t: (String, String)) -> [String] { [t.0, t.1] }

    static func split(_ pieces: [String], tags: ThinkingTags = ThinkingTags(open: "<think>", close: "</think>"),
                      inside: Bool = false) -> (thinking: String, content: String) {
        var splitter = ThinkingSplitter(tags: tags, startsInside: inside)
        var thinking = "", content = ""
        for piece in pieces {
            let out = splitter.feed(piece)
            thinking += out.thinking
            content += out.content
        }
        let out = splitter.finish()
        return (thinking + out.thinking, content + out.content)
    }

    static let thinkingCases: [(text: String, inside: Bool, thinking: String, content: String)] = [
        ("<think>\nLet me think.\n</think>\n\nThe answer is 4.", false, "Let me think.\n", "The answer is 4."),
        ("  \n<think>  a b </think>  c", false, "a b ", "c"),
        ("<think>\n\n</think>\n\nHi", false, "", "Hi"),
        ("Hello <think>x</think>", false, "", "Hello <think>x</think>"),
        ("<think>a</think>b <think>c</think>", false, "a", "b <think>c</think>"),
        ("Just an answer, no tags.", false, "", "Just an answer, no tags."),
        ("  leading space kept", false, "", "  leading space kept"),
        ("<think>still thinking, never closed", false, "still thinking, never closed", ""),
        ("<thi", false, "", "<thi"),
        ("<think>abc</thi", false, "abc</thi", ""),
        ("<thinking>is not the tag</thinking>", false, "", "<thinking>is not the tag</thinking>"),
        ("\nReasoning, prompt opened the block.</think>\n\nAnswer.", true, "Reasoning, prompt opened the block.", "Answer."),
        ("Plain answer without a close tag", true, "Plain answer without a close tag", ""),
        ("<think>é😀 ünïcode</think>Ça va ✓", false, "é😀 ünïcode", "Ça va ✓"),
        ("\u{A0}\u{2003}<think>\u{3000}x</think>\u{85}y", false, "x", "y"),
    ]

    @Test("thinking: expected split for each case, identical for every way of cutting the stream",
          arguments: OutputParserTests.thinkingCases.indices)
    func thinkingSplits(_ n: Int) {
        let c = Self.thinkingCases[n]
        for pieces in Splits.all(c.text) {
            let out = Self.split(pieces, inside: c.inside)
            #expect(out.thinking == c.thinking, "pieces \(pieces)")
            #expect(out.content == c.content, "pieces \(pieces)")
        }
    }

    @Test("thinking streams as it comes; only a possible tag is held back")
    func thinkingStreams() {
        var s = ThinkingSplitter(tags: ThinkingTags(open: "<think>", close: "</think>"))
        #expect(pair(s.feed("<thi")) == ["", ""])
        #expect(pair(s.feed("nk>\n")) == ["", ""])
        #expect(s.isThinking)
        #expect(pair(s.feed("step one")) == ["step one", ""])
        #expect(pair(s.feed(" then </th")) == [" then ", ""])
        #expect(pair(s.feed("ink>\n\n")) == ["", ""])
        #expect(!s.isThinking)
        #expect(pair(s.feed("Answer")) == ["", "Answer"])
        #expect(pair(s.feed(" <think>")) == ["", " <think>"])
        // A combining mark after a tag joins it into one Character; tags still match (bytes).
        var t = ThinkingSplitter(tags: ThinkingTags(open: "[THINK]", close: "[/THINK]"))
        #expect(pair(t.feed("[THINK]")) == ["", ""])
        #expect(pair(t.feed("\u{301}x[/THINK]\u{301}y")) == ["\u{301}x", "\u{301}y"])
    }

    @Test("other tag pairs: [THINK], <seed:think>, Gemma 4's channel")
    func otherTags() {
        #expect(pair(Self.split(["[THINK]plan[/THINK]done"], tags: ThinkingTags(open: "[THINK]", close: "[/THINK]"))) == ["plan", "done"])
        #expect(pair(Self.split(["<seed:think>a</seed:think>b"], tags: ThinkingTags(open: "<seed:think>", close: "</seed:think>"))) == ["a", "b"])
        #expect(pair(Self.split(["a</think>b"], tags: ThinkingTags(open: "", close: "</think>"))) == ["a", "b"])   // empty open: inside
        #expect(pair(Self.split(["<think>a</think>"], tags: ThinkingTags(open: "<think>", close: ""))) == ["", "<think>a</think>"])
        #expect(pair(Self.split(["<|channel>thought\nhmm\n<channel|>Hi"], tags: ThinkingTags(open: "<|channel>thought", close: "<channel|>"))) == ["hmm\n", "Hi"])
    }

    @Test("tags found in the real templates", arguments: [
        ("Qwen-Qwen3-0.6B", "<think>"), ("Qwen-QwQ-32B", "<think>"), ("deepseek-ai-DeepSeek-R1-Distill-Qwen-32B", "<think>"),
        ("deepseek-ai-DeepSeek-R1-Distill-Llama-8B", "<think>"), ("llama-cpp-deepseek-r1", "<think>"), ("HuggingFaceTB-SmolLM3-3B", "<think>"),
        ("GLM-4.6", "<think>"), ("ibm-granite-granite-3.3-2B-Instruct", "<think>"), ("ByteDance-Seed-OSS", "<seed:think>"),
        ("MiniMax-M3", "<mm:think>"), ("mistralai-Ministral-3-14B-Reasoning-2512", "[THINK]"), ("google-gemma-4-31B-it", "<|channel>thought"),
        ("CohereForAI-c4ai-command-r7b-12-2024-tool_use", "<|START_THINKING|>"),
        ("Qwen-Qwen2.5-7B-Instruct", ""), ("meta-llama-Llama-3.1-8B-Instruct", ""), ("mistralai-Mistral-Nemo-Instruct-2407", ""),
        ("NousResearch-Hermes-2-Pro-Llama-3-8B-tool_use", ""), ("SmolLM2-135M-Instruct", ""), ("google-gemma-2-2b-it", ""),
        ("microsoft-Phi-3.5-mini-instruct", ""), ("LFM2.5-Instruct", ""), ("openai-gpt-oss-120b", ""),
    ])
    func templateTags(_ name: String, _ open: String) throws {
        let tags = ThinkingSplitter.tags(inTemplate: try TemplateFixtures.source(name))
        #expect(tags?.open ?? "" == open)
        if let tags { #expect(!tags.close.isEmpty && tags.close != tags.open) }
    }

    @Test("a generation prompt that opens the think block is detected (DeepSeek-R1 distill, rendered)")
    func promptEndsInside() throws {
        let source = try TemplateFixtures.source("deepseek-ai-DeepSeek-R1-Distill-Qwen-32B")
        var ctx = JinjaObject()
        var user = JinjaObject()
        user["role"] = .string("user")
        user["content"] = .string("2+2?")
        ctx["messages"] = .array([.object(user)])
        ctx["add_generation_prompt"] = .bool(true)
        ctx["enable_thinking"] = .bool(true)
        ctx["bos_token"] = .string("")
        let prompt = try ChatTemplate(source: source).render(ctx)
        let tags = try #require(ThinkingSplitter.tags(inTemplate: source))
        #expect(ThinkingSplitter.promptEndsInside(prompt, tags: tags))
        #expect(!ThinkingSplitter.promptEndsInside(prompt + "</think>\n\n", tags: tags))
        #expect(pair(Self.split(["Add them.\n</think>\n\n4"], inside: true)) == ["Add them.\n", "4"])
    }

    // MARK: tool calls

    static let tools = ["get_weather", "get_time"]

    static func parse(_ pieces: [String], _ format: ToolCallFormat, tools: [String] = tools) -> (content: String, calls: [ParsedToolCall]) {
        var parser = ToolCallParser(format: format, toolNames: tools)
        var content = ""
        var calls: [ParsedToolCall] = []
        for piece in pieces {
            let out = parser.feed(piece)
            content += out.content
            calls += out.calls
        }
        let out = parser.finish()
        return (content + out.content, calls + out.calls)
    }

    /// Parses `text` whole and in every split; all must agree; returns the whole-text result.
    static func parseAllSplits(_ text: String, _ format: ToolCallFormat, tools: [String] = tools) -> (content: String, calls: [ParsedToolCall]) {
        let whole = parse([text], format, tools: tools)
        for pieces in Splits.all(text) {
            let out = parse(pieces, format, tools: tools)
            #expect(out.content == whole.content, "pieces \(pieces)")
            #expect(out.calls == whole.calls, "pieces \(pieces)")
        }
        return whole
    }

    static let paris = ParsedToolCall(name: "get_weather", arguments: #"{"city":"Paris"}"#, index: 0)
    static let lyon = ParsedToolCall(name: "get_weather", arguments: #"{"city":"Lyon","unit":"celsius"}"#, index: 1)
    static let twoCalls = [("get_weather", #"{"city": "Paris"}"#), ("get_weather", #"{"city": "Lyon", "unit": "celsius"}"#)]

    @Test("rendered assistant tool calls of each template family parse back to the same calls", arguments: [
        ("Qwen-Qwen2.5-7B-Instruct", ToolCallFormat.hermes), ("NousResearch-Hermes-2-Pro-Llama-3-8B-tool_use", .hermes),
        ("ibm-granite-granite-4.0", .hermes), ("mistralai-Mistral-Nemo-Instruct-2407", .mistral),
        ("Mistral-Small-3.2-24B-Instruct-2506", .mistral), ("unsloth-mistral-Devstral-Small-2507", .mistral),
        ("meta-llama-Llama-3.2-3B-Instruct", .llama3), ("meta-llama-Llama-3.1-8B-Instruct", .llama3),
    ])
    func renderedCalls(_ name: String, _ format: ToolCallFormat) throws {
        #expect(ToolCallFormat.detect(template: try TemplateFixtures.source(name)) == format)
        let llama = format == .llama3   // Llama 3.x templates render exactly one call per message
        let text = try TemplateFixtures.assistantText(name, calls: llama ? [("get_weather", #"{"city": "Paris"}"#)] : Self.twoCalls)
        #expect(text.contains("get_weather"), "rendered: \(text)")
        let out = Self.parseAllSplits(text, format)
        #expect(out.calls == (llama ? [Self.paris] : [Self.paris, Self.lyon]), "rendered: \(text)")
        #expect(out.content.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "rendered: \(text)")
        if !llama, case let withText = try TemplateFixtures.assistantText(name, content: "Let me check.", calls: Self.twoCalls),
           withText.contains("Let me check.") {   // content before the call streams (Hermes 2 Pro drops it)
            let out2 = Self.parseAllSplits(withText, format)
            #expect(out2.calls == [Self.paris, Self.lyon], "rendered: \(withText)")
            #expect(out2.content.hasPrefix("Let me check.") && !out2.content.contains("get_weather"), "rendered: \(withText)")
        }
    }

    @Test("a call is emitted whole, in the piece that closes its JSON; name known before the arguments")
    func neverPartial() throws {
        let text = "Sure.\n<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>\nDone."
        let chars = Array(text)
        let close = text.distance(from: text.startIndex, to: try #require(text.range(of: "}}")).upperBound) - 1
        var parser = ToolCallParser(format: .hermes, toolNames: Self.tools)
        var content = ""
        for (n, ch) in chars.enumerated() {
            let out = parser.feed(String(ch))
            content += out.content
            #expect(out.calls == (n == close ? [Self.paris] : []), "at \(n)")
            let prefix = String(chars[...n])
            let inCall = prefix.contains("<tool_call>") && n < close
            #expect(parser.inToolCall == inCall, "at \(n)")
            #expect(parser.currentToolName == (inCall && prefix.contains("\"get_weather\"") ? "get_weather" : nil), "at \(n)")
        }
        let end = parser.finish()
        #expect(end.content == "" && end.calls.isEmpty)
        #expect(content == "Sure.\n")   // text after the call ("Done.") is suppressed, as Ollama does
    }

    @Test("text that is not a call stays content, verbatim", arguments: [
        ("<tool_call>\n{\"name\": \"delete_everything\", \"arguments\": {}}\n</tool_call>", ToolCallFormat.hermes),   // unknown tool
        ("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": Paris}}\n</tool_call>", .hermes),        // broken JSON
        ("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}\n</tool_call>", .hermes),     // unbalanced
        ("<tool_call>\n{\"name\": \"get_weather\", \"argu", .hermes),                                               // unterminated
        ("<tool_call>\nget_weather(city=\"Paris\")</tool_call> ok", .hermes),                                      // not JSON
        ("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": [1]}</tool_call>", .hermes),                       // args not an object
        ("<tool_call>\n{\"name\": \"get_weather\", \"city\": \"Paris\"}</tool_call>", .hermes),                      // args would be a guess
        ("[TOOL_CALLS]get weather[ARGS]{}", .mistral), ("[TOOL_CALLS]get_weather[ARGS]{\"city\": }", .mistral),
        ("[TOOL_CALLS][{\"name\": \"nope\", \"arguments\": {}}]", .mistral), ("[TOOL_CALLS][1, 2]", .mistral),
        ("{\"answer\": 42, \"unit\": \"none\"}", .json), ("[1, 2, 3]", .json), ("Hello {\"name\": \"get_weather\"}", .json),
        ("<|python_tag|>brave_search.call(query=\"x\")", .llama3), ("  {\"name\": \"get_weather\", \"parameters\": {\"city\"", .llama3),
        ("The weather is nice. <tool_call> is a tag.", .hermes), ("<tool_call", .hermes), ("", .json), (" \n", .llama3),
    ])
    func notACall(_ text: String, _ format: ToolCallFormat) {
        let out = Self.parseAllSplits(text, format)
        #expect(out.calls.isEmpty)
        #expect(out.content == text)
    }

    @Test("content streams before a call is decided, and not-JSON messages stream at once")
    func streamsEarly() {
        var hermes = ToolCallParser(format: .hermes, toolNames: Self.tools)
        #expect(hermes.feed("Checking <tool").content == "Checking ")
        #expect(hermes.feed("_c").content == "")
        #expect(hermes.feed("all>").content == "")
        #expect(hermes.inToolCall)
        var json = ToolCallParser(format: .json, toolNames: Self.tools)
        #expect(json.feed("  ").content == "")
        #expect(json.feed("The answer").content == "  The answer")
        #expect(json.feed(" {is} here").content == " {is} here")
        var mistral = ToolCallParser(format: .mistral, toolNames: Self.tools)
        _ = mistral.feed("[TOOL_CALLS]get_weather[CALL_")
        #expect(mistral.inToolCall && mistral.currentToolName == nil)
        _ = mistral.feed("ID]abc123def[ARGS]{\"ci")
        #expect(mistral.currentToolName == "get_weather")
        #expect(mistral.feed("ty\": \"Paris\"}").calls == [Self.paris])
        #expect(!mistral.inToolCall)
    }

    @Test("argument shapes: JSON string, parameters, nested function, key named after the tool, none")
    func argumentShapes() {
        let cases: [(String, ToolCallFormat, [ParsedToolCall])] = [
            ("<tool_call>\n{\"name\": \"get_weather\", \"arguments\": \"{\\\"city\\\": \\\"Paris\\\"}\"}\n</tool_call>", .hermes, [Self.paris]),
            ("<|python_tag|>{\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}", .llama3, [Self.paris]),
            ("\n{\"type\": \"function\", \"function\": {\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}}", .json, [Self.paris]),
            ("{\"get_weather\": {\"city\": \"Paris\"}}", .json, [Self.paris]),
            ("[{\"name\": \"get_time\"}, {\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}]", .json,
             [ParsedToolCall(name: "get_time", arguments: "{}", index: 0), ParsedToolCall(name: "get_weather", arguments: #"{"city":"Paris"}"#, index: 1)]),
            ("{\"name\": \"get_time\", \"parameters\": {}}; {\"name\": \"get_weather\", \"parameters\": {\"city\": \"Paris\"}}", .llama3,
             [ParsedToolCall(name: "get_time", arguments: "{}", index: 0), ParsedToolCall(name: "get_weather", arguments: #"{"city":"Paris"}"#, index: 1)]),
            ("{\"arguments\": {\"city\": \"" + String(repeating: "P", count: 1500) + "\"}, \"name\": \"get_weather\"}", .json,
             [ParsedToolCall(name: "get_weather", arguments: "{\"city\":\"" + String(repeating: "P", count: 1500) + "\"}", index: 0)]),
            ("[TOOL_CALLS]get_time[ARGS]{}[TOOL_CALLS]get_weather[ARGS]{\"city\":\"Paris\"}", .mistral,
             [ParsedToolCall(name: "get_time", arguments: "{}", index: 0), ParsedToolCall(name: "get_weather", arguments: #"{"city":"Paris"}"#, index: 1)]),
        ]
        for (text, format, calls) in cases {
            let out = Self.parseAllSplits(text, format)
            #expect(out.calls == calls, "\(text)")
            #expect(out.content.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(text)")
        }
    }

    @Test("arguments are re-serialized canonically: model key order, numbers as written, JSON escapes")
    func canonicalArguments() {
        let text = "<tool_call>{\"name\": \"f\", \"arguments\": {\"b\": 1.50, \"a\": 1, \"c\": [true, null, -0, 2E+3],"
            + " \"d\": \"é\\u00e9\\\"\\ud83d\\ude00\", \"a\": \"dup\", \"e\": \"x\ny\\u0001\\/\\t\"}}</tool_call>"
        let out = Self.parseAllSplits(text, .hermes, tools: [])
        #expect(out.calls.map(\.arguments) == [#"{"b":1.50,"a":"dup","c":[true,null,-0,2E+3],"d":"éé\"😀","e":"x\ny\u0001/\t"}"#])
        #expect(out.calls.map(\.name) == ["f"])   // empty tool list: any name
        for bad in [#"{"a": 01}"#, #"{"a": "\ud800"}"#, #"{"a": 1.}"#, #"{"a" 1}"#, #"{"a": tru}"#, #"{"a": 1,}"#] {
            #expect(throws: JSONError.self) { try JSONValue.parse(bad, options: ToolCallParser.outputJSON) }
        }
        let deep = String(repeating: "[", count: 200) + String(repeating: "]", count: 200)
        #expect(throws: JSONError.self) { try JSONValue.parse(deep, options: ToolCallParser.outputJSON) }
        #expect((try? JSONValue.parse("\"\\u001f\u{1}\"", options: ToolCallParser.outputJSON))?.serialized() == "\"\\u001f\\u0001\"")
    }

    @Test("a failed candidate before any call gives its text back; one after a call is suppressed")
    func failuresAroundCalls() {
        let bad = "<tool_call>\n{\"name\": \"nope\", \"arguments\": {}}\n</tool_call>\n"
        let good = "<tool_call>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_call>\n"
        let first = Self.parseAllSplits(bad + good, .hermes)
        #expect(first.content == bad && first.calls == [Self.paris])
        let second = Self.parseAllSplits(good + bad + "bye", .hermes)
        #expect(second.content == "" && second.calls == [Self.paris])
    }

    @Test("format detection on the real templates", arguments: [
        ("Qwen-Qwen2.5-7B-Instruct", ToolCallFormat?.some(.hermes)), ("NousResearch-Hermes-2-Pro-Llama-3-8B-tool_use", .hermes),
        ("NousResearch-Hermes-3-Llama-3.1-8B-tool_use", .hermes), ("Qwen-Qwen3-0.6B", .hermes), ("Qwen-QwQ-32B", .hermes),
        ("mistralai-Mistral-Nemo-Instruct-2407", .mistral), ("Mistral-Small-3.2-24B-Instruct-2506", .mistral),
        ("unsloth-mistral-Devstral-Small-2507", .mistral), ("mistralai-Ministral-3-14B-Reasoning-2512", .mistral),
        ("meta-llama-Llama-3.1-8B-Instruct", .llama3), ("meta-llama-Llama-3.2-3B-Instruct", .llama3), ("meta-llama-Llama-3.3-70B-Instruct", .llama3),
        ("SmolLM2-135M-Instruct", nil), ("google-gemma-2-2b-it", nil), ("microsoft-Phi-3.5-mini-instruct", nil),
        ("Qwen3-Coder", nil), ("GLM-4.6", nil), ("moonshotai-Kimi-K2", nil), ("deepseek-ai-DeepSeek-V3.1", nil), ("openai-gpt-oss-120b", nil),
    ])
    func detect(_ name: String, _ format: ToolCallFormat?) throws {
        #expect(ToolCallFormat.detect(template: try TemplateFixtures.source(name)) == format)
    }
}
