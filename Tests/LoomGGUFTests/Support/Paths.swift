// Where tests find fixtures, the fetched default model, and the Python reference tools.
//
// `make test` exports LOOM_PYTHON (the .venv interpreter with gguf-py) and LOOM_REQUIRE_MODELS=1,
// so under make (and CI) the tests that need the model or Python run — and fail, not skip, when
// their inputs are missing. A bare `swift test` skips them.

import Foundation

enum Paths {
    /// The repository root (three levels above this file).
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<4 { url.deleteLastPathComponent() }
        return url.path
    }()

    static func fixture(_ relative: String) -> String { root + "/Fixtures/" + relative }

    /// The default model fetched by Scripts/fetch-models.sh.
    static let smolLM2 = root + "/.cache/models/SmolLM2-135M-Instruct.Q4_1.gguf"

    static var requireModels: Bool { ProcessInfo.processInfo.environment["LOOM_REQUIRE_MODELS"] == "1" }

    /// True when the model exists; when it does not and LOOM_REQUIRE_MODELS=1, that is a failure.
    static var hasSmolLM2: Bool {
        FileManager.default.fileExists(atPath: smolLM2) || requireModels
    }

    /// The Python interpreter with gguf-py installed, if configured.
    static var python: String? { ProcessInfo.processInfo.environment["LOOM_PYTHON"] }

    static func temporaryDirectory() throws -> String {
        let dir = FileManager.default.temporaryDirectory
            .appendingPathComponent("loom-tests-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }
}

/// SplitMix64: a tiny seeded generator, so fuzz runs are reproducible.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
