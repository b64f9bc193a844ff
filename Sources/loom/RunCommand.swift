// `loom run MODEL.gguf PROMPT`: one chat turn with a local GGUF model, streamed to the terminal —
// the model's chat template (tokenizer.chat_template, rendered as Hugging Face does), tokenize,
// prefill, sample token by token, stream text as soon as it is whole UTF-8, stop at EOS/EOT or
// --num-predict. A thin composition of the modules until the runtime's Engine API lands (the
// interactive mode, stop strings and model names come with it).

import ArgumentParser
import LoomGGUF
import LoomKernels
import LoomModels
import LoomRuntime
import LoomSampling
import LoomTemplate
import LoomTokenizers
#if canImport(Glibc)
import Glibc
#endif

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Answer one chat message with a GGUF model, streaming the reply."
    )

    @Argument(help: "A GGUF model file (llama-family).")
    var model: String

    @Argument(help: "The user message.")
    var prompt: String

    @Option(help: "Sampling temperature (0 = greedy).")
    var temperature: Float = 0.8

    @Option(help: "Random seed (-1 = random).")
    var seed: Int = -1

    @Option(name: .customLong("num-predict"), help: "Most tokens to generate.")
    var numPredict: Int = 256

    @Option(help: "Threads (default: online CPUs).")
    var threads: Int?

    func run() throws {
        let file = try GGUFFile(path: model)
        let vocabulary = try Vocabulary(metadata: file.metadata)
        let tokenizer = try Tokenizers.make(vocabulary)
        let llama = try LlamaModel(hyperparameters: try LlamaHyperparameters(metadata: file.metadata),
                                   weights: GGUFWeightSource(file: file))
        let text = try renderPrompt(file.metadata, vocabulary)
        var ids = tokenizer.encode(text, addSpecial: true, parseSpecial: true)
        let capacity = min(llama.hp.contextLength, ids.count + numPredict + 1)
        let cache = KVCache(layers: llama.hp.layers, capacity: capacity, rowWidth: llama.hp.kvHeads * llama.hp.headDim)
        let pool = ThreadPool(threads: threads ?? ThreadPool.shared.threadCount)
        var sampler = Sampler(options: SamplingOptions(temperature: temperature, seed: seed))
        sampler.accept(contentsOf: ids)
        var decoder = StreamingDecoder(tokenizer, skipControl: true)
        let stops = Set([vocabulary.eos, vocabulary.eot].compactMap { $0 } + Self.endOfTurnTokens(vocabulary))
        var logits = llama.forward(ids, cache: cache, pool: pool)
        for _ in 0..<numPredict {
            let next = try sampler.sample(logits)
            if stops.contains(next) { break }
            sampler.accept(next)
            ids.append(next)
            Self.write(decoder.push(next))
            guard cache.count < cache.capacity else { break }
            logits = llama.forward([next], cache: cache, pool: pool)
        }
        Self.write(decoder.flush() + "\n")
    }

    /// The chat template applied to one user message (a plain prompt when the model has none).
    func renderPrompt(_ metadata: GGUFMetadata, _ vocabulary: Vocabulary) throws -> String {
        guard let source = try metadata.stringIfPresent("tokenizer.chat_template") else { return prompt }
        var message = JinjaObject()
        message["role"] = .string("user")
        message["content"] = .string(prompt)
        var context = JinjaObject()
        context["messages"] = .array([.object(message)])
        context["add_generation_prompt"] = .bool(true)
        context["bos_token"] = .string(vocabulary.bos.map { vocabulary.tokens[Int($0)] } ?? "")
        context["eos_token"] = .string(vocabulary.eos.map { vocabulary.tokens[Int($0)] } ?? "")
        return try ChatTemplate(source: source, name: "tokenizer.chat_template").render(context)
    }

    /// Control tokens that end a turn in common templates (<|im_end|>, <|eot_id|>, <end_of_turn>, …).
    static func endOfTurnTokens(_ v: Vocabulary) -> [Int32] {
        let names: Set<String> = ["<|im_end|>", "<|eot_id|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "</s>"]
        return v.tokens.enumerated().filter { names.contains($0.element) && v.type($0.offset) == .control }.map { Int32($0.offset) }
    }

    static func write(_ s: String) {
        var s = s
        s.withUTF8 { p in _ = Glibc.write(1, p.baseAddress, p.count) }
    }
}
