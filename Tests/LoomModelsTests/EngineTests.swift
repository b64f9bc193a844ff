// The Engine: seeded sampling reproduces the same text (also across thread counts), a second chat
// turn evaluates only the new tokens, stop sequences are never emitted even when split across
// tokens, and the README's library example compiles.

import Testing
@testable import LoomRuntime
import LoomModels
import LoomSampling
import LoomTemplate
import Foundation

@Suite("engine", .serialized)
struct EngineTests {
    static func collect(_ stream: AsyncThrowingStream<GenerationEvent, Error>) async throws -> (String, GenerationStats?) {
        var text = ""
        var stats: GenerationStats?
        for try await event in stream {
            switch event {
            case let .text(t): text += t
            case .logprob: break
            case let .done(s): stats = s
            }
        }
        return (text, stats)
    }

    /// A chat stream's content text and statistics.
    static func collect(_ stream: AsyncThrowingStream<ChatEvent, Error>) async throws -> (String, GenerationStats?) {
        var text = ""
        var stats: GenerationStats?
        for try await event in stream {
            if case let .content(t) = event { text += t }
            if case let .done(s) = event { stats = s }
        }
        return (text, stats)
    }

    @Test("same seed and temperature 0.8 → same text, on two runs and on 1 vs 2 threads", .enabled(if: ModelFixtures.available))
    func seeded() async throws {
        let options = GenerateOptions(sampling: SamplingOptions(temperature: 0.8, seed: 1234), numPredict: 8)
        let two = try Engine.load(path: ModelFixtures.smolLM2, contextLength: 256, threads: 2)
        let one = try Engine.load(path: ModelFixtures.smolLM2, contextLength: 256, threads: 1)
        let prompt = "Once upon a time"
        let (a, _) = try await Self.collect(two.generate(raw: prompt, options: options))
        let (b, _) = try await Self.collect(two.generate(raw: prompt, options: options))
        let (c, _) = try await Self.collect(one.generate(raw: prompt, options: options))
        #expect(!a.isEmpty)
        #expect(a == b)
        #expect(a == c)
    }

    @Test("a generative model embeds: the last token's final-normed hidden state, unit length; generation is unchanged after", .enabled(if: ModelFixtures.available))
    func llamaEmbeddings() async throws {
        let engine = try Engine.load(path: ModelFixtures.smolLM2, contextLength: 256, threads: 2)
        let greedy = GenerateOptions(sampling: SamplingOptions(temperature: 0), numPredict: 6)
        let (before, _) = try await Self.collect(engine.generate(raw: "The capital of France is", options: greedy))
        let texts = ["The capital of France is", "A completely different sentence."]
        let result = try await engine.embed(texts)
        #expect(result.vectors.count == 2 && result.vectors.allSatisfy { $0.count == 576 })
        for v in result.vectors { #expect(abs(v.reduce(0.0) { $0 + Double($1) * Double($1) } - 1) < 1e-5) }
        #expect(result.promptEvalCount == texts.map { engine.tokenize($0).count }.reduce(0, +))
        // The vector is the model's own last hidden state: the same forward pass, normed and scaled.
        let state = engine.model.makeState(capacity: 64, cacheType: .f16)
        let hidden = engine.model.forward(engine.tokenize(texts[1]), state: state, pool: engine.pool, output: .lastHidden)
        let norm = hidden.reduce(0.0) { $0 + Double($1) * Double($1) }.squareRoot()
        #expect(zip(hidden, result.vectors[1]).allSatisfy { abs(Double($0) / norm - Double($1)) < 1e-6 })
        #expect(try await engine.embed(texts).vectors == result.vectors)
        let (after, _) = try await Self.collect(engine.generate(raw: "The capital of France is", options: greedy))
        #expect(after == before)
    }

    @Test("format json: the value is closed within num_predict, even when the model would go on", .enabled(if: ModelFixtures.available))
    func formatClosesWithinBudget() async throws {
        let engine = try Engine.load(path: ModelFixtures.smolLM2, contextLength: 512, threads: 2)
        let prompt = "<|im_start|>user\nDescribe a cat in JSON, in great detail.<|im_end|>\n<|im_start|>assistant\n"
        for (seed, budget) in [(1, 12), (2, 24), (3, 40), (4, 17)] {
            var options = GenerateOptions(sampling: SamplingOptions(temperature: 0.8, seed: seed), numPredict: budget)
            options.format = .anyJSON()
            let (text, stats) = try await Self.collect(engine.generate(raw: prompt, options: options))
            #expect((stats?.evalCount ?? .max) <= budget)
            let value = try? JSONSerialization.jsonObject(with: Data(text.utf8))
            #expect(value is [String: Any], "seed \(seed), budget \(budget): \(text.debugDescription)")
        }
    }

    @Test("after a tool-call tag the call's JSON follows the tools' schema, whatever the seed", .enabled(if: ModelFixtures.available))
    func toolCallConstrained() async throws {
        let engine = try Engine.load(path: ModelFixtures.smolLM2, contextLength: 512, threads: 2)
        let schema = #"{"type":"object","properties":{"name":{"const":"get_weather"},"arguments":{"type":"object","properties":{"city":{"type":"string","maxLength":24}},"required":["city"]}},"required":["name","arguments"]}"#
        let prompt = "<|im_start|>user\nWhat is the weather in Paris?<|im_end|>\n<|im_start|>assistant\n<tool_call>\n"
        var free = 0
        for seed in 1...6 {
            var options = GenerateOptions(sampling: SamplingOptions(temperature: 0.8, seed: seed), numPredict: 48)
            let (unconstrained, _) = try await Self.collect(engine.generate(raw: prompt, options: options))
            options.toolCall = ToolCallConstraint(tag: "<tool_call>", spec: try JSONConstraintSpec(schemaJSON: schema))
            let (text, _) = try await Self.collect(engine.generate(raw: prompt, options: options))
            var parser = ToolCallParser(format: .hermes, toolNames: ["get_weather"])
            let fed = parser.feed("<tool_call>" + text + "</tool_call>"), rest = parser.finish()
            let call = try #require((fed.calls + rest.calls).first, "seed \(seed): \(text.debugDescription)")
            #expect(call.name == "get_weather")
            let arguments = try JSONSerialization.jsonObject(with: Data(call.arguments.utf8)) as? [String: Any]
            #expect(arguments?.keys.sorted() == ["city"] && arguments?["city"] is String, "seed \(seed): \(call.arguments)")
            var check = ToolCallParser(format: .hermes, toolNames: ["get_weather"])
            let a = check.feed("<tool_call>" + unconstrained + "</tool_call>"), b = check.finish()
            if !(a.calls + b.calls).isEmpty { free += 1 }
        }
        print("tool calls parsed without the constraint: \(free)/6 seeds; with it: 6/6")
    }

    @Test("ignoreEOS: a reply that ends after a few tokens runs to num_predict instead", .enabled(if: ModelFixtures.available))
    func ignoreEOS() async throws {
        let engine = try Engine.load(path: ModelFixtures.smolLM2, contextLength: 256, threads: 2)
        let question = [ChatMessage(role: "user", content: "Reply with just the word yes.")]
        var options = GenerateOptions(sampling: SamplingOptions(temperature: 0), numPredict: 40)
        let (short, natural) = try await Self.collect(engine.chat(question, options: ChatOptions(generation: options)))
        #expect((natural?.evalCount ?? 40) < 40 && natural?.doneReason == .stop, "the model ends by itself: \(short.debugDescription)")
        options.ignoreEOS = true
        let (long, forced) = try await Self.collect(engine.chat(question, options: ChatOptions(generation: options)))
        #expect(forced?.evalCount == 40 && forced?.doneReason == .length)
        #expect(long.hasPrefix(short), "greedy: the same reply, then more")
    }

    @Test("a second chat turn reuses the KV cache: prompt_eval_count counts only the new tokens", .enabled(if: ModelFixtures.available))
    func secondTurn() async throws {
        let engine = try Engine.load(path: ModelFixtures.smolLM2, contextLength: 512, threads: 2)
        let greedy = GenerateOptions(sampling: SamplingOptions(temperature: 0), numPredict: 6)
        let first = [ChatMessage(role: "user", content: "Name a fruit.")]
        let (reply, stats1) = try await Self.collect(engine.chat(first, options: ChatOptions(generation: greedy)))
        let firstCount = engine.promptTokens(try engine.render(first)).count
        #expect(stats1?.promptEvalCount == firstCount)
        #expect(engine.loadDuration > 0 && stats1?.loadDuration == engine.loadDuration)
        #expect((stats1?.totalDuration ?? 0) >= engine.loadDuration + (stats1?.promptEvalDuration ?? 0))
        let cached = engine.cachedTokens
        let second = first + [ChatMessage(role: "assistant", content: reply), ChatMessage(role: "user", content: "Another one?")]
        let secondTokens = engine.promptTokens(try engine.render(second))
        var common = 0
        while common < min(cached.count, secondTokens.count - 1) && cached[common] == secondTokens[common] { common += 1 }
        let (_, stats2) = try await Self.collect(engine.chat(second, options: ChatOptions(generation: greedy)))
        #expect(common >= firstCount)
        #expect(stats2?.promptEvalCount == secondTokens.count - common)
        #expect((stats2?.promptEvalCount ?? .max) < secondTokens.count)
        #expect(stats2?.loadDuration == 0)
    }

    @Test("stop sequences are never emitted, even split across pieces")
    func stopFilter() {
        var f = StopFilter(["o w", "END"])
        var out = ""
        var stopped = false
        for piece in ["Hel", "lo", " ", "wor", "ld"] where !stopped {
            let (t, s) = f.push(piece)
            out += t
            stopped = s
        }
        #expect(stopped && out == "Hell")
        var g = StopFilter(["END"])
        #expect(g.push("abcE").0 == "abc")
        #expect(g.push("N").0 == "")
        #expect(g.finish("d") == "ENd")
    }

    /// The README's library example, kept compiling (`readmeMatches` checks it is the README's text).
    func readmeExample() async throws {
        let engine = try Engine.load(path: "SmolLM2-135M-Instruct.Q4_1.gguf")
        let stream = engine.chat([ChatMessage(role: "user", content: "Why is the sky blue?")])
        for try await event in stream {
            if case let .content(piece) = event { print(piece, terminator: "") }
        }
    }

    @Test("the README's library example is exactly the code of readmeExample() above, so it compiles")
    func readmeMatches() throws {
        let readme = try String(contentsOfFile: ModelFixtures.root + "/README.md", encoding: .utf8)
        let source = try String(contentsOfFile: #filePath, encoding: .utf8)
        let section = try #require(readme.range(of: "## As a library"))
        let fenced = readme[section.upperBound...].components(separatedBy: "```")
        #expect(fenced.count > 2)
        let example = fenced[1].split(separator: "\n").dropFirst()   // drop the "swift" info string
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty && $0 != "import LoomRuntime" }
        let body = try #require(source.range(of: "func readmeExample() async throws {"))
        let end = try #require(source[body.upperBound...].range(of: "\n    }\n"))
        let code = source[body.upperBound..<end.lowerBound].split(separator: "\n")
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        #expect(example.count >= 4)
        #expect(example == code)
    }

    @Test("logprobs: the first generated token's log-probability and top-5 equal the numpy reference's log-softmax (F16 file, f32 cache)",
          .enabled(if: ModelFixtures.available))
    func logprobs() async throws {
        let (golden, _, _) = try LlamaReferenceTests.load("F16")
        let chat = try #require(golden.prompts.first { $0.name == "chat" })
        let engine = try Engine.load(path: ModelFixtures.path(variant: "F16"), contextLength: 256, threads: 2, cacheType: .f32)
        // The reference's own prompt ids, as text the tokenizer maps back to exactly those ids.
        let prompt = engine.detokenize(chat.token_ids)
        #expect(engine.tokenize(prompt) == chat.token_ids)
        var first: TokenProbability?
        let options = GenerateOptions(sampling: SamplingOptions(temperature: 0), numPredict: 1, logprobs: true, topLogprobs: 5)
        for try await event in engine.generate(raw: prompt, options: options) {
            if case let .logprob(p) = event, first == nil { first = p }
        }
        let p = try #require(first)
        let row = chat.lastLogits.map(Double.init)
        let m = row.max() ?? 0
        let logZ = m + log(row.reduce(0) { $0 + exp($1 - m) })
        #expect(p.chosen.id == chat.greedy.token_ids[0])
        #expect(abs(p.chosen.logprob - (row[Int(p.chosen.id)] - logZ)) < 1e-4)
        let expectedTop = row.indices.sorted { row[$0] > row[$1] }.prefix(5)
        #expect(p.top.map { Int($0.id) } == Array(expectedTop))
        for c in p.top { #expect(abs(c.logprob - (row[Int(c.id)] - logZ)) < 1e-4) }
        print("first token \(p.chosen.token.debugDescription): logprob \(p.chosen.logprob), reference \(row[Int(p.chosen.id)] - logZ)")
    }

    @Test("tools given as JSON reach the chat template (Qwen 2.5's template on SmolLM2's weights), rendered as Python's tojson writes them")
    func toolsReachTheTemplate() throws {
        let base = try Engine.load(path: ModelFixtures.smolLM2, contextLength: 128, threads: 1)
        let source = try String(contentsOfFile: ModelFixtures.root + "/Fixtures/templates/llama.cpp/Qwen-Qwen2.5-7B-Instruct.jinja", encoding: .utf8)
        let engine = Engine(vocabulary: base.vocabulary, tokenizer: base.tokenizer, model: base.model,
                            template: try ChatTemplate(source: source), templateSource: source,
                            contextLength: 128, threads: 1, batchSize: 512, cacheType: .f16)
        let tools = #"[{"type":"function","function":{"name":"get_weather","description":"Weather in a city","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}}]"#
        let text = try engine.render([ChatMessage(role: "user", content: "Weather in Paris?")], toolsJSON: tools)
        #expect(text.contains("<tools>\n{\"type\": \"function\", \"function\": {\"name\": \"get_weather\""))
        #expect(text.hasSuffix("<|im_start|>assistant\n"))
        let plain = try engine.render([ChatMessage(role: "user", content: "Weather in Paris?")])
        #expect(!plain.contains("<tools>"))
        #expect(throws: EngineError.self) { try engine.render([ChatMessage(role: "user", content: "x")], toolsJSON: "[{") }
    }
}
