// `loom bench kernels`: kernel throughput at SmolLM2-135M's shapes next to this machine's limits;
// `loom bench model`: whole-model pp/tg next to llama-bench; `loom bench memory`: resident memory of
// a loaded engine against its budget. All measured in the same run. Build in release with the CPU
// flags (`make bench`).

import ArgumentParser
import Foundation
import LoomKernels
import LoomModels
import LoomRuntime
import LoomSampling

extension KVCacheType: ExpressibleByArgument {}
extension AttentionKernel: ExpressibleByArgument {}

struct BenchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure kernel throughput against the machine's limits.",
        subcommands: [KernelsBench.self, ModelBench.self, MemoryBench.self, GenerateBench.self, EmbedBench.self]
    )
}

struct KernelsBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kernels",
        abstract: "GEMV/GEMM per weight type at SmolLM2-135M shapes, with bandwidth and peak FLOP/s."
    )

    @Option(help: "Threads (default: online CPUs).")
    var threads: Int?

    @Option(help: "Weight types to measure (comma-separated).")
    var types: String = "q4_0,q4_1,q8_0,q4_K,q5_K,q6_K,f16,bf16,f32"

    @Option(help: "GEMM batch sizes (comma-separated).")
    var batches: String = "32,128,512"

    @Flag(help: "Skip the 30-layer decode sweep (the slowest part).")
    var noSweep = false

    func run() throws {
        let pool = ThreadPool(threads: threads ?? ThreadPool.shared.threadCount)
        let bench = KernelBenchmark(pool: pool,
                                    types: types.split(separator: ",").compactMap { GGMLTypeName.parse(String($0)) },
                                    batches: batches.split(separator: ",").compactMap { Int($0) })
        bench.runAll(sweep: !noSweep)
    }
}

struct ModelBench: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "model",
        abstract: "Prompt processing and generation tokens/s of GGUF models, next to llama-bench and the machine's limits."
    )

    @Argument(help: "GGUF model files (llama-family).")
    var files: [String]

    @Option(help: "Threads (default: online CPUs).")
    var threads: Int?

    @Option(name: .customShort("p"), help: "Prompt tokens (pp test).")
    var prompt = 512

    @Option(name: .customShort("n"), help: "Generated tokens (tg test).")
    var generate = 128

    @Option(name: .customShort("r"), help: "Repetitions of each test.")
    var repeats = 3

    @Option(name: .customShort("d"), help: "Tokens already in the KV cache when each test starts, comma-separated (llama-bench's -d).")
    var depth = "0"

    @Option(help: "KV cache type: f16, f32, q8_0, q4_0 (llama-bench's -ctk/-ctv).")
    var cacheType: KVCacheType = .f16

    @Option(help: "Attention loop: grouped, or perHead (the loop before grouped attention, to measure against).")
    var attention: AttentionKernel = .grouped

    @Option(help: "Sequences decoded together in the tg test (continuous batching's pass; aggregate tokens/s; llama.cpp's column then measures one).")
    var sequences = 1

    @Option(help: "llama-bench binary (default: $LLAMA_BENCH, else .cache/llama-cpp/build/bin/llama-bench if built).")
    var llamaBench: String?

    @Flag(help: "Do not run llama-bench.")
    var noLlama = false

    func run() throws {
        let env = ProcessInfo.processInfo.environment["LLAMA_BENCH"]
        let candidates = [llamaBench, env, ".cache/llama-cpp/build/bin/llama-bench"].compactMap { $0 }
        let binary = noLlama ? nil : candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
        let depths = depth.split(separator: ",").map { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !depths.isEmpty, depths.allSatisfy({ ($0 ?? -1) >= 0 }) else {
            throw ValidationError("-d: token counts ≥ 0, comma-separated")
        }
        let pool = ThreadPool(threads: threads ?? ThreadPool.shared.threadCount)
        var bench = ModelBenchmark(files: files, pool: pool, prompt: max(1, prompt), generate: max(1, generate),
                                   repeats: max(1, repeats), llamaBench: binary)
        bench.depths = depths.compactMap { $0 }
        bench.cacheType = cacheType
        bench.attention = attention
        bench.sequences = max(1, sequences)
        try bench.run()
    }
}

struct MemoryBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "memory",
        abstract: "Resident memory of an engine serving a model: load, generate, then compare VmRSS with file + KV cache + 64 MB."
    )

    @Argument(help: "A GGUF model file (llama-family).")
    var file: String

    @Option(help: "Context length (KV cache positions).")
    var ctx = 4096

    @Option(help: "Threads (default: online CPUs).")
    var threads: Int?

    func run() async throws {
        let engine = try Engine.load(path: file, contextLength: ctx, threads: threads)
        var generated = 0
        let options = GenerateOptions(sampling: .init(temperature: 0), numPredict: 32)
        for try await event in engine.chat([ChatMessage(role: "user", content: "Write a haiku about memory.")], options: ChatOptions(generation: options)) {
            if case let .done(stats) = event { generated = stats.evalCount }
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: file)[.size] as? Int) ?? 0
        let kv = engine.kvCacheBytes
        let budget = size + kv + (64 << 20)
        let rss = ResidentMemory.current()
        let mb = { (b: Int) in String(format1: Double(b) / 1_048_576) + " MiB" }
        print("after loading and generating \(generated) tokens at num_ctx \(engine.contextLength):")
        print("  resident (VmRSS) \(mb(rss.rss)), peak (VmHWM) \(mb(rss.peak))")
        print("  budget = file \(mb(size)) + KV cache \(mb(kv)) + 64 MiB = \(mb(budget))")
        print(rss.rss <= budget ? "  within budget (\(mb(budget - rss.rss)) to spare)" : "  OVER budget by \(mb(rss.rss - budget))")
        if rss.rss > budget { throw ExitCode(1) }
    }
}

/// VmRSS and VmHWM of this process, in bytes (from /proc/self/status; 0 where unavailable).
enum ResidentMemory {
    static func current() -> (rss: Int, peak: Int) {
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return (0, 0) }
        func field(_ name: String) -> Int {
            guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix(name + ":") }) else { return 0 }
            return (Int(line.split(separator: " ").dropFirst().first ?? "") ?? 0) * 1024
        }
        return (field("VmRSS"), field("VmHWM"))
    }
}

struct GenerateBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "generate",
        abstract: "Generation tokens/s of the Engine library API (what the server's streaming is compared with)."
    )

    @Argument(help: "A GGUF model file (llama-family).")
    var file: String

    @Option(help: "Prompt, generated from as is (raw).")
    var prompt = "Once upon a time"

    @Option(name: .customShort("n"), help: "Tokens to generate.")
    var generate = 256

    @Option(help: "Sampling seed (temperature 0.8).")
    var seed = 7

    @Option(name: .customShort("r"), help: "Repetitions.")
    var repeats = 3

    @Option(help: "Threads (default: online CPUs).")
    var threads: Int?

    @Option(help: "Also generate under an output constraint and print constrained / unconstrained: json, or a JSON Schema file.")
    var format: String?

    func run() async throws {
        let engine = try Engine.load(path: file, contextLength: 4096, threads: threads)
        let free = try await measure(engine, nil)
        print("library: \(free.count) tokens, \(String(format: "%.1f", free.rate)) tokens/s (eval_count / eval_duration, mean of \(repeats))")
        guard let format else { return }
        let spec: JSONConstraintSpec
        if format == "json" { spec = .anyJSON() } else {
            guard let text = FileManager.default.contents(atPath: format).map({ String(decoding: $0, as: UTF8.self) }) else {
                throw ValidationError("cannot read \(format)")
            }
            spec = try JSONConstraintSpec(schemaJSON: text)
        }
        // Tokens/s falls as the context grows, so the comparison is at equal lengths: the
        // unconstrained run generates exactly as many tokens as the constrained one (end tokens
        // redrawn, as llama.cpp's --ignore-eos).
        let constrained = try await measure(engine, spec)
        let same = try await measure(engine, nil, exactly: constrained.count)
        print("constrained (\(format)): \(constrained.count) tokens, \(String(format: "%.1f", constrained.rate)) tokens/s; "
              + "unconstrained, same length: \(String(format: "%.1f", same.rate)) tokens/s → "
              + String(format: "%.1f%% of unconstrained", constrained.rate / same.rate * 100))
    }

    /// Mean tokens/s over `repeats` runs after one warm-up, and the last run's token count;
    /// `exactly` generates that many tokens, never stopping at an end token.
    func measure(_ engine: Engine, _ spec: JSONConstraintSpec?, exactly: Int? = nil) async throws -> (rate: Double, count: Int) {
        var rates: [Double] = []
        var count = 0
        for _ in 0..<(repeats + 1) {
            var options = GenerateOptions(sampling: .init(temperature: 0.8, seed: seed), numPredict: exactly ?? generate)
            options.ignoreEOS = exactly != nil
            options.format = spec
            for try await event in engine.generate(raw: prompt, options: options) {
                if case let .done(stats) = event {
                    count = stats.evalCount
                    rates.append(Double(stats.evalCount) / (Double(stats.evalDuration) / 1e9))
                }
            }
        }
        let measured = rates.dropFirst()   // the first run warms up
        return (measured.reduce(0, +) / Double(max(1, measured.count)), count)
    }
}

struct EmbedBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Embeddings/s of an encoder GGUF for 1, 16 and 64 sentences per request, next to llama-embedding."
    )

    @Argument(help: "A BERT-family GGUF model file.")
    var file: String

    @Option(help: "Threads (default: online CPUs).")
    var threads: Int?

    @Option(name: .customShort("r"), help: "Rounds over the 64 sentences per batch size.")
    var repeats = 3

    @Option(help: "llama-embedding binary (default: $LLAMA_EMBEDDING, else .cache/llama-cpp/build/bin/llama-embedding if built).")
    var llamaEmbedding: String?

    @Flag(help: "Do not run llama-embedding.")
    var noLlama = false

    @Option(help: "Sentences per request (comma-separated, each a divisor of 64 or not; the first is the ratio's base).")
    var batches = "1,16,64"

    func run() async throws {
        let sizes = batches.split(separator: ",").compactMap { Int($0.trimmingCharacters(in: .whitespaces)) }
        guard !sizes.isEmpty, sizes.allSatisfy({ $0 >= 1 && $0 <= 64 }) else {
            throw ValidationError("--batches: sizes between 1 and 64, comma-separated")
        }
        let env = ProcessInfo.processInfo.environment["LLAMA_EMBEDDING"]
        let candidates = [llamaEmbedding, env, ".cache/llama-cpp/build/bin/llama-embedding"].compactMap { $0 }
        let binary = noLlama ? nil : candidates.first { FileManager.default.isExecutableFile(atPath: $0) }
        let pool = ThreadPool(threads: threads ?? ThreadPool.shared.threadCount)
        try await EmbedBenchmark(file: file, pool: pool, repeats: max(1, repeats), llamaEmbedding: binary, batchSizes: sizes).run()
    }
}
