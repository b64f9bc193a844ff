// GGUF loading: the cost of opening the default model (mmap + parse + validate the 1.8 MB header with
// its 49k-token vocabulary). Resident memory shows that tensor data is mapped, not read.

import Benchmark
import LoomGGUF

let smolLM2 = #filePath.components(separatedBy: "/Benchmarks/Benchmarks/")[0]
    + "/.cache/models/SmolLM2-135M-Instruct.Q4_1.gguf"

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(metrics: [.wallClock, .mallocCountTotal, .peakMemoryResident],
                                           maxDuration: .seconds(5))

    Benchmark("GGUF open SmolLM2-135M Q4_1 (header only)") { benchmark in
        for _ in benchmark.scaledIterations {
            blackHole(try GGUFFile(path: smolLM2))
        }
    }
}
