// `loom bench kernels`: kernel throughput at SmolLM2-135M's shapes next to this machine's limits,
// measured in the same run. Build in release with the CPU flags (`make bench`).

import ArgumentParser
import LoomKernels

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure kernel throughput against the machine's limits.",
        subcommands: [KernelsBench.self]
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
    var types: String = "q4_0,q4_1,q8_0,f16,bf16,f32"

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
