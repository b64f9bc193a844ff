// Engine.chat as a library user sees it: typed events. With a thinking template (Qwen 3 style: the
// generation prompt opens `<think>`) the reply arrives as `.thinking`, never as tags in `.content`;
// with tools and a template that opens the call (`<tool_call>` prefilled), the call arrives whole
// as `.toolCall` (its JSON constrained by the tool's schema), never as raw text.

import Foundation
import Testing
@testable import LoomRuntime
import LoomJSON
import LoomSampling

@Suite("chat events", .serialized)
struct ChatEventsTests {
    /// ChatML, with `<think>` opened when thinking is on and `<tool_call>` opened when tools are offered.
    static let template = """
    {%- if tools %}<|im_start|>system
    Tools: {{ tools | tojson }}<|im_end|>
    {% endif %}{%- for m in messages %}<|im_start|>{{ m.role }}
    {% if m.reasoning_content %}<think>{{ m.reasoning_content }}</think>{% endif %}{{ m.content }}<|im_end|>
    {% endfor %}{%- if add_generation_prompt %}<|im_start|>assistant
    {% if enable_thinking is defined and enable_thinking %}<think>
    {% elif tools %}<tool_call>
    {% endif %}{% endif %}
    """

    static func events(_ stream: AsyncThrowingStream<ChatEvent, Error>) async throws -> [ChatEvent] {
        var out: [ChatEvent] = []
        for try await e in stream { out.append(e) }
        return out
    }

    @Test("a thinking template: the reply is .thinking events, with no tags in .content", .enabled(if: ModelFixtures.available))
    func thinking() async throws {
        let engine = try Engine.load(path: ModelFixtures.smolLM2, contextLength: 512, threads: 2, template: Self.template)
        #expect(engine.thinkingTags == ThinkingTags(open: "<think>", close: "</think>"))
        let options = ChatOptions(generation: GenerateOptions(sampling: SamplingOptions(temperature: 0), numPredict: 12))
        let events = try await Self.events(engine.chat([ChatMessage(role: "user", content: "Why is the sky blue?")], options: options))
        let thinking = events.compactMap { if case let .thinking(t) = $0 { t } else { nil } }.joined()
        let content = events.compactMap { if case let .content(t) = $0 { t } else { nil } }.joined()
        #expect(!thinking.isEmpty, "events: \(events)")
        #expect(!content.contains("<think>") && !content.contains("</think>"))
        guard case .done? = events.last else { Issue.record("the stream ends with .done"); return }
        // think: false renders no <think>: the same model's words arrive as content.
        var off = options
        off.think = false
        let plain = try await Self.events(engine.chat([ChatMessage(role: "user", content: "Why is the sky blue?")], options: off))
        #expect(plain.allSatisfy { if case .thinking = $0 { false } else { true } })
        #expect(plain.contains { if case .content = $0 { true } else { false } })
    }

    @Test("tools: the call arrives whole as a .toolCall event with the schema's arguments", .enabled(if: ModelFixtures.available))
    func toolCall() async throws {
        let engine = try Engine.load(path: ModelFixtures.smolLM2, contextLength: 512, threads: 2, template: Self.template)
        let tools = #"[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string","maxLength":24}},"required":["city"]}}}]"#
        let schema = #"{"type":"object","properties":{"name":{"const":"get_weather"},"arguments":{"type":"object","properties":{"city":{"type":"string","maxLength":24}},"required":["city"]}},"required":["name","arguments"]}"#
        for seed in 1...3 {
            var generation = GenerateOptions(sampling: SamplingOptions(temperature: 0.8, seed: seed), numPredict: 48)
            generation.toolCall = ToolCallConstraint(tag: "<tool_call>", spec: try JSONConstraintSpec(schemaJSON: schema))
            let options = ChatOptions(generation: generation, tools: try JSONValue.parse(tools), think: false)
            #expect(options.toolNames == ["get_weather"])
            let events = try await Self.events(engine.chat([ChatMessage(role: "user", content: "Weather in Paris?")], options: options))
            let calls = events.compactMap { if case let .toolCall(c) = $0 { c } else { nil } }
            let call = try #require(calls.first, "seed \(seed): \(events)")
            #expect(call.name == "get_weather" && call.index == 0)
            let arguments = try JSONSerialization.jsonObject(with: Data(call.arguments.utf8)) as? [String: Any]
            #expect(arguments?.keys.sorted() == ["city"], "seed \(seed): \(call.arguments)")
            let content = events.compactMap { if case let .content(t) = $0 { t } else { nil } }.joined()
            #expect(!content.contains("get_weather"), "the call's JSON is not content: \(content.debugDescription)")
        }
    }

    @Test("a template without thinking tags refuses think: true before generating", .enabled(if: ModelFixtures.available))
    func thinkingUnsupported() throws {
        let engine = try Engine.load(path: ModelFixtures.smolLM2, contextLength: 256, threads: 1)
        #expect(throws: EngineError.thinkingUnsupported) {
            try engine.prepare([ChatMessage(role: "user", content: "Hi")], options: ChatOptions(think: true))
        }
    }
}
