// Tokenizer speed: encoding 100 KB of mixed English, code and whitespace with SmolLM2's byte-level
// BPE tokenizer (smollm pre-tokenizer), and decoding the ids back.

import Benchmark
import LoomGGUF
import LoomRuntime
import LoomTokenizers

let repo = #filePath.components(separatedBy: "/Benchmarks/Benchmarks/")[0]

let text: String = {
    let paragraph = """
    The quick brown fox jumps over the lazy dog; numbers 1234567 and 3.14159 follow.
    func encode(_ text: String) -> [Int32] {
        return tokenizer.encode(text, addSpecial: false, parseSpecial: true)  // 🦙 café 日本語
    }


    """
    var s = ""
    while s.utf8.count < 100_000 { s += paragraph }
    return s
}()

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .mallocCountTotal], maxDuration: .seconds(3))
    guard let gguf = try? GGUFFile(path: repo + "/.cache/models/SmolLM2-135M-Instruct.Q4_1.gguf"),
          let vocabulary = try? Vocabulary(metadata: gguf.metadata),
          let tokenizer = try? Tokenizers.make(vocabulary) else { return }
    let ids = tokenizer.encode(text, addSpecial: false, parseSpecial: true)
    Benchmark("encode 100 KB (SmolLM2 byte-level BPE)") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(tokenizer.encode(text, addSpecial: false, parseSpecial: true)) }
    }
    Benchmark("decode \(ids.count) ids (SmolLM2)") { benchmark in
        for _ in benchmark.scaledIterations { blackHole(tokenizer.decode(ids)) }
    }
}
