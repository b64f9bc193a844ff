// swift-tools-version: 6.1
// Loom's libFuzzer targets (`make fuzz`, Scripts/fuzz.sh; not part of `make test`).
//
// A package of its own so the main package stays untouched and the sanitizer flags apply here only:
// Scripts/fuzz.sh builds it once with `-sanitize=fuzzer,address` (linked by lld). The Loom modules
// under test are the main package's own sources, reached through symlinks in Sources/ (LoomX ->
// ../../Sources/LoomX), so no package dependency (Hummingbird, NIO, …) is resolved or built; two
// single files come the same way: LoomStore's Modelfile.swift and LoomRuntime's Vocabulary+GGUF.swift.
// Keep the `dependencies:` arrays below in step with ../Package.swift.
//
// One executable per target, each `main.swift` calling `Fuzz.run { bytes in … }`:
//   fuzz-gguf         GGUF reader: header, metadata, tensor infos, accessors, vocabulary → tokenizer
//   fuzz-json         every endpoint's request body: JSON parse → Ollama request types, /v1 translators
//   fuzz-jinja        Jinja lexer → parser → interpreter (template source in, render with a chat context)
//   fuzz-tokenizer    text in → ids (in range) → decode round trip, streaming decoder (BPE, WordPiece, SPM)
//   fuzz-modelfile    Modelfile parser, render → re-parse round trip
//   fuzz-schema       JSON-Schema compiler (format: {...}) and the token constraint on its grammar
//   fuzz-safetensors  safetensors header reader
import PackageDescription

let fuzzTargets = ["gguf", "json", "jinja", "tokenizer", "modelfile", "schema", "safetensors"]

let package = Package(
    name: "LoomFuzz",
    targets: [
        .target(name: "LoomTensor"),
        .target(name: "LoomGGUF", dependencies: ["LoomTensor"]),
        .target(name: "LoomJSON"),
        .target(name: "LoomTemplate", dependencies: ["LoomJSON"]),
        .target(name: "LoomTokenizers"),
        .target(name: "LoomSampling", dependencies: ["LoomJSON"]),
        .target(name: "LoomAPI", dependencies: ["LoomJSON"]),
        .target(name: "LoomConvert", dependencies: ["LoomGGUF", "LoomTensor", "LoomJSON"]),
        .target(name: "LoomStoreModelfile"),
        .target(name: "LoomRuntimeVocabulary", dependencies: ["LoomGGUF", "LoomTokenizers"]),
        .target(name: "CFuzzer"),
        .target(name: "FuzzSupport", dependencies: ["CFuzzer"]),
    ] + fuzzTargets.map { name in
        .executableTarget(name: "fuzz-\(name)", dependencies: [
            "FuzzSupport", "LoomTensor", "LoomGGUF", "LoomJSON", "LoomTemplate", "LoomTokenizers", "LoomSampling",
            "LoomAPI", "LoomConvert", "LoomStoreModelfile", "LoomRuntimeVocabulary",
        ])
    },
    swiftLanguageModes: [.v6]
)
