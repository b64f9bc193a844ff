// `loom perplexity MODEL.gguf TEXTFILE`: llama.cpp's perplexity measure over a text file (chunks of
// --ctx tokens, the second half of each scored), printing the running value per chunk as
// llama-perplexity does, then the final estimate.

import ArgumentParser
import Foundation
import LoomGGUF
import LoomKernels
import LoomModels
import LoomRuntime
import LoomTokenizers

struct PerplexityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "perplexity",
        abstract: "Perplexity of a GGUF model over a text file (llama.cpp's chunked measure)."
    )

    @Argument(help: "A GGUF model file (llama-family).")
    var model: String

    @Argument(help: "A UTF-8 text file (e.g. wiki.test.raw).")
    var text: String

    @Option(help: "Chunk length in tokens (llama-perplexity's -c).")
    var ctx: Int = 512

    @Option(help: "Threads (default: online CPUs).")
    var threads: Int?

    @Option(help: "Most chunks to evaluate (default: all).")
    var chunks: Int?

    @Option(help: "KV cache type: f16, f32, q8_0, q4_0 (llama-perplexity's -ctk/-ctv).")
    var cacheType: KVCacheType = .f16

    func run() throws {
        let info = try ModelInfo(path: model)
        let vocabulary = try Vocabulary(metadata: info.file.metadata)
        let tokenizer = try Tokenizers.make(vocabulary)
        let llama = try info.loadDecoder()
        guard let data = FileManager.default.contents(atPath: text), let content = String(data: data, encoding: .utf8) else {
            throw InputError("cannot read \(text) as UTF-8 text")
        }
        let n = min(max(ctx, 2), llama.shape.contextLength)
        var tokens = tokenizer.encode(content, addSpecial: true, parseSpecial: false)
        if let chunks { tokens = Array(tokens.prefix(chunks * n)) }
        guard tokens.count >= n else {
            throw InputError("\(text) has \(tokens.count) tokens, fewer than one chunk of \(n)")
        }
        guard cacheType.supports(headDim: llama.shape.headDim) else {
            throw InputError("a \(cacheType.rawValue) KV cache needs heads of a multiple of \(cacheType.blockSize) values; this model's have \(llama.shape.headDim)")
        }
        print("\(tokens.count) tokens, \(tokens.count / n) chunks of \(n), \(cacheType.rawValue) KV cache")
        let pool = ThreadPool(threads: threads ?? ThreadPool.shared.threadCount)
        let start = Date()
        var all: [Double] = []
        for c in 0..<(tokens.count / n) {
            let part = llama.perplexity(Array(tokens[(c * n)..<((c + 1) * n)]), chunk: n,
                                        bos: vocabulary.addBOS ? vocabulary.bos : nil, cacheType: cacheType, pool: pool)
            all += part.nll
            print("[\(c + 1)]\(String(format: "%.4f", PerplexityResult(nll: all, perChunk: []).perplexity))", terminator: c % 8 == 7 ? "\n" : ",")
        }
        let result = PerplexityResult(nll: all, perChunk: [])
        print("\nFinal estimate: PPL = \(String(format: "%.4f", result.perplexity)) over \(all.count) scored tokens, \(String(format: "%.1f", Date().timeIntervalSince(start))) s")
    }
}

/// A text file that cannot be measured (unreadable, or shorter than one chunk).
struct InputError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
