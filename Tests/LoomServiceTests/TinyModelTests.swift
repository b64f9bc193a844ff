// The tiny-model fixture itself, and the cut between LoomModels and the runtime: a LlamaModel bound
// from in-memory random weights (WeightSource) and the Engine loaded from the same weights written
// as GGUF compute bit-identical logits; the GGUF's vocabulary tokenizes as the fixture says; the
// steering knobs (never / always end, favourite token) do what TinyModel's header promises.

import Foundation
import LoomGGUF
import LoomKernels
import LoomModels
import LoomSampling
@testable import LoomRuntime
import LoomTensor
import Testing

@Suite("tiny random model")
struct TinyModelTests {
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

    /// The tiny model written to a temp file, and that file's path.
    static func written(_ spec: TinyModel.Spec) throws -> (TinyModel, String) {
        let model = TinyModel(spec)
        let path = try Fixtures.temporaryDirectory() + "/tiny.gguf"
        try model.write(to: path)
        return (model, path)
    }

    @Test("in-memory weights and the GGUF-loaded Engine give identical logits", arguments: [GGMLType.f32, .q8_0])
    func sameLogits(type: GGMLType) async throws {
        var spec = TinyModel.Spec()
        spec.weightType = type
        let (tiny, path) = try Self.written(spec)
        let weights = tiny.weights()
        let direct = try LlamaModel(hyperparameters: tiny.hyperparameters, weights: weights)
        let engine = try Engine.load(path: path, contextLength: 64, threads: 1)
        let tokens = engine.tokenize("<|im_start|>user\nthe internet<|im_end|>\n")
        #expect(tokens.count > 5)
        let pool = ThreadPool(threads: 1)
        func logits(_ model: any DecoderModel) -> [Float] {
            model.forward(tokens, state: model.makeState(capacity: 64, cacheType: .f16), pool: pool, output: .allLogits)
        }
        let a = logits(direct), b = logits(engine.model)
        #expect(a.count == tokens.count * tiny.tokens.count)
        #expect(a == b)
        #expect(a.allSatisfy { $0.isFinite })
        // The GGUF reads back the hyperparameters the fixture declared.
        let hp = try LlamaHyperparameters(architecture: "llama", metadata: GGUFModelMetadata(try GGUFFile(path: path).metadata))
        #expect(hp.dim == 64 && hp.layers == 2 && hp.heads == 4 && hp.kvHeads == 2 && hp.ffnDim == 128 && hp.contextLength == 256)
        #expect(hp.vocabulary == tiny.tokens.count)
        withExtendedLifetime(weights) {}
    }

    @Test("greedy decoding follows the argmax of the in-memory model's logits")
    func greedyMatchesArgmax() async throws {
        let (tiny, path) = try Self.written(TinyModel.Spec())
        let weights = tiny.weights()
        let direct = try LlamaModel(hyperparameters: tiny.hyperparameters, weights: weights)
        let engine = try Engine.load(path: path, contextLength: 64, threads: 1)
        let prompt = "hello"
        let ids = engine.tokenize(prompt)
        let logits = direct.forward(ids, state: direct.makeState(capacity: 64, cacheType: .f16), pool: ThreadPool(threads: 1))
        let best = Int32(logits.indices.max { logits[$0] < logits[$1] } ?? 0)
        let options = GenerateOptions(sampling: .init(temperature: 0), numPredict: 1)
        let (_, stats) = try await Self.collect(engine.generate(raw: prompt, options: options))
        #expect(stats?.tokens == ids + [best])
        withExtendedLifetime(weights) {}
    }

    @Test("the byte-level vocabulary: merges apply, specials parse as one token, text round-trips")
    func vocabulary() throws {
        let (tiny, path) = try Self.written(TinyModel.Spec())
        let engine = try Engine.load(path: path, contextLength: 32, threads: 1)
        #expect(engine.tokenize(" the") == [tiny.id("Ġthe")])
        #expect(engine.tokenize("<|im_end|>") == [tiny.eos])
        #expect(engine.vocabulary.eos == tiny.eos)
        for text in ["hello there", "naïve — ünïcödé ✓", "{\"a\": [1, 2]}\n\ttabs"] {
            #expect(engine.detokenize(engine.tokenize(text)) == text)
        }
        #expect(engine.chatTemplateSource == TinyModel.Template.chatML.source)
        let rendered = try engine.render([ChatMessage(role: "user", content: "hi")])
        #expect(rendered == "<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n")
    }

    @Test("Ending.never runs to num_predict (length); Ending.always stops at once (stop)")
    func endings() async throws {
        let (_, never) = try Self.written(TinyModel.Spec())
        var spec = TinyModel.Spec()
        spec.ending = .always
        let (_, always) = try Self.written(spec)
        let sampled = GenerateOptions(sampling: .init(temperature: 1, seed: 3), numPredict: 24)
        let (text, long) = try await Self.collect(try Engine.load(path: never, contextLength: 64, threads: 1).generate(raw: "a", options: sampled))
        #expect(long?.doneReason == .length)
        #expect(long?.evalCount == 24)
        #expect(!text.isEmpty)
        let (none, short) = try await Self.collect(try Engine.load(path: always, contextLength: 64, threads: 1).generate(raw: "a", options: sampled))
        #expect(short?.doneReason == .stop)
        #expect(short?.evalCount == 0)
        #expect(none.isEmpty)
    }

    @Test("the thinking and tools templates render the shapes the service looks for")
    func templates() throws {
        var spec = TinyModel.Spec()
        spec.template = .thinking
        let (_, thinker) = try Self.written(spec)
        let engine = try Engine.load(path: thinker, contextLength: 32, threads: 1)
        let hi = [ChatMessage(role: "user", content: "hi")]
        #expect(try engine.render(hi, think: true).hasSuffix("<|im_start|>assistant\n<think>\n"))
        #expect(try engine.render(hi, think: false).hasSuffix("<think>\n\n</think>\n\n"))
        #expect(ThinkingSplitter.tags(inTemplate: TinyModel.Template.thinking.source) != nil)
        #expect(ThinkingSplitter.tags(inTemplate: TinyModel.Template.chatML.source) == nil)
        #expect(ToolCallFormat.detect(template: TinyModel.Template.tools.source) == .hermes)
        #expect(ToolCallFormat.detect(template: TinyModel.Template.chatML.source) == nil)
        spec.template = .tools
        let (_, toolsy) = try Self.written(spec)
        let tools = try Engine.load(path: toolsy, contextLength: 32, threads: 1)
        let text = try tools.render(hi, toolsJSON: #"[{"type":"function","function":{"name":"f"}}]"#)
        #expect(text.hasPrefix("<|im_start|>system\n# Tools\n<tools>\n{"))
        #expect(text.hasSuffix("<|im_start|>user\nhi<|im_end|>\n<|im_start|>assistant\n"))
    }
}
