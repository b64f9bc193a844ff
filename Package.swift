// swift-tools-version: 6.1
// Loom — a native LLM inference engine in Swift. Module map and conventions: ../shared/design.md.
// Each issue adds its own targets; this file holds only the modules that exist so far.
import PackageDescription

let package = Package(
    name: "Loom",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "LoomTensor", targets: ["LoomTensor"]),
        .library(name: "LoomGGUF", targets: ["LoomGGUF"]),
        .library(name: "LoomKernels", targets: ["LoomKernels"]),
        .library(name: "LoomJSON", targets: ["LoomJSON"]),
        .library(name: "LoomTemplate", targets: ["LoomTemplate"]),
        .library(name: "LoomTokenizers", targets: ["LoomTokenizers"]),
        .library(name: "LoomSampling", targets: ["LoomSampling"]),
        .library(name: "LoomModels", targets: ["LoomModels"]),
        .library(name: "LoomRuntime", targets: ["LoomRuntime"]),
        .executable(name: "loom", targets: ["loom"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // Element types (GGML type ids + one traits table) and fp16/bf16 conversion. Imports nothing.
        .target(name: "LoomTensor"),
        // Read, validate and write GGUF v2/v3 over an mmapped file.
        .target(name: "LoomGGUF", dependencies: ["LoomTensor"]),
        // OpenBLAS's cblas_sgemm for large F32 GEMMs (apt: libopenblas-dev).
        .systemLibrary(name: "COpenBLAS", providers: [.apt(["libopenblas-dev"])]),
        // The innermost kernel loops for AVX2+FMA+F16C and AVX-512 VNNI, each C function carrying
        // __attribute__((target(...))) (no unsafeFlags), chosen at run time from the CPU's features.
        .target(name: "CLoomKernels"),
        // Quant block layouts, reference + SIMD dot products, GEMV/GEMM, ops, thread pool. The kernel
        // path (baseline / avx2 / avx512) is chosen at run time (KernelPath); `make` also passes
        // -target-cpu native -DLOOM_AVX2 (Scripts/swift-flags.sh) for the Swift AVX2 kernels, but
        // nothing here needs flags, so Loom builds as a versioned dependency.
        .target(name: "LoomKernels", dependencies: ["LoomTensor", "COpenBLAS", "CLoomKernels"]),
        // JSON, once: an order-preserving JSONValue (numbers keep their text), a strict parser, writers
        // (compact, Python json.dumps), Codable bridges, scans of streamed JSON. Imports nothing.
        .target(name: "LoomJSON"),
        // The Jinja subset real chat templates use: lexer → parser → AST → interpreter. Imports LoomJSON only.
        .target(name: "LoomTemplate", dependencies: ["LoomJSON"]),
        // Text ↔ ids: byte-level BPE, SentencePiece-style BPE, WordPiece, built from a Vocabulary. A leaf.
        .target(name: "LoomTokenizers"),
        // Architectures declared by GGUF tensor names, KV cache (sees a WeightSource, never GGUF).
        .target(name: "LoomModels", dependencies: ["LoomTensor", "LoomKernels"]),
        // Logits → next token: greedy, temperature, top-k/p, min-p, typical, penalties, seeded RNG. Imports LoomJSON only.
        .target(name: "LoomSampling", dependencies: ["LoomJSON"]),
        // Model file → running engine: vocabulary, template, weights, the generation loop (Engine).
        .target(name: "LoomRuntime", dependencies: ["LoomGGUF", "LoomTokenizers", "LoomModels", "LoomTensor", "LoomTemplate", "LoomSampling", "LoomJSON"]),
        // Ollama's on-disk model store: names, manifests, sha256 blobs, atomic writes, copy/delete, quantizer;
        // Registry/: Ollama's registry protocol (the OCI distribution API) on async-http-client — pull
        // (parallel ranged parts, resumable, sha256-verified) and push (mount, chunked upload), bearer/basic auth.
        .target(name: "LoomStore", dependencies: [
            "LoomGGUF", "LoomKernels", "LoomTensor", .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "AsyncHTTPClient", package: "async-http-client"),
        ]),
        // Hugging Face folder (config.json, Safetensors shards, tokenizer files) → GGUF, as llama.cpp's convert_hf_to_gguf.py.
        .target(name: "LoomConvert", dependencies: ["LoomGGUF", "LoomTensor", "LoomJSON"]),
        // Ollama wire types (Codable, snake_case) and the OllamaService protocol; no HTTP, no engine. Imports LoomJSON only.
        .target(name: "LoomAPI", dependencies: ["LoomJSON"]),
        // OllamaService on the runtime: validation, scheduler (load, keep_alive, unload, queue), option mapping.
        .target(name: "LoomService", dependencies: ["LoomAPI", "LoomRuntime", "LoomSampling", "LoomGGUF", "LoomModels", "LoomStore", "LoomConvert", "LoomJSON"]),
        // HTTP only (Hummingbird 2): routes, NDJSON streaming, errors → status, CORS/Host checks; request
        // limits, metrics through the swift-metrics API (no backend), request logs through swift-log.
        .target(name: "LoomServer", dependencies: [
            "LoomAPI", "LoomJSON", .product(name: "Hummingbird", package: "hummingbird"),
            .product(name: "CoreMetrics", package: "swift-metrics"), .product(name: "Logging", package: "swift-log"),
        ]),
        // The `serve` command, the server's composition root (used by `serve` and `loom serve`).
        .target(
            name: "ServeCommand",
            dependencies: [
                "LoomAPI", "LoomService", "LoomServer", "LoomStore", "LoomKernels",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        // `swift run serve`.
        .executableTarget(name: "serve", dependencies: ["ServeCommand"]),
        // The CLI: `loom gguf FILE` today; serve, run, list, … as their issues land.
        .executableTarget(
            name: "loom",
            dependencies: [
                "LoomTensor", "LoomGGUF", "LoomKernels", "LoomTemplate", "LoomTokenizers", "LoomRuntime",
                "LoomModels", "LoomSampling", "LoomStore", "LoomConvert", "ServeCommand",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
            ]
        ),
        .testTarget(name: "LoomTensorTests", dependencies: ["LoomTensor"]),
        .testTarget(name: "LoomJSONTests", dependencies: ["LoomJSON"]),
        .testTarget(name: "LoomGGUFTests", dependencies: ["LoomGGUF", "LoomTensor"]),
        .testTarget(name: "LoomKernelsTests", dependencies: ["LoomKernels", "LoomTensor"]),
        .testTarget(name: "LoomTemplateTests", dependencies: ["LoomTemplate"]),
        .testTarget(name: "LoomTokenizersTests", dependencies: ["LoomTokenizers", "LoomRuntime", "LoomGGUF"]),
        .testTarget(name: "LoomSamplingTests", dependencies: ["LoomSampling"]),
        .testTarget(name: "LoomAPITests", dependencies: ["LoomAPI", "LoomService", "LoomServer", "LoomStore"]),
        .testTarget(name: "LoomModelsTests", dependencies: ["LoomModels", "LoomJSON", "LoomRuntime", "LoomGGUF", "LoomKernels", "LoomTemplate", "LoomSampling", "LoomConvert", "LoomStore", "LoomAPI", "LoomService"]),
        // create's quantizer against llama-quantize (goldens in Fixtures/quantize); the registry client's
        // parts that need no server (challenges, credentials, names → URLs, partial downloads).
        .testTarget(name: "LoomStoreTests", dependencies: ["LoomStore", "LoomGGUF", "LoomKernels", "LoomTensor", .product(name: "Crypto", package: "swift-crypto")]),
        // gemma3, qwen3, phi3, mistral: tiny random-weight files vs numpy and llama.cpp; Gemma 3 270M.
        .testTarget(name: "LoomArchitectureTests", dependencies: ["LoomModels", "LoomRuntime", "LoomGGUF", "LoomKernels", "LoomTensor", "LoomTokenizers"]),
        .testTarget(name: "LoomConvertTests", dependencies: ["LoomConvert", "LoomJSON", "LoomGGUF", "LoomTensor"]),
        // Service, scheduler and route tests on tiny random-weight models (no download needed).
        .testTarget(
            name: "LoomServiceTests",
            dependencies: [
                "LoomAPI", "LoomService", "LoomServer", "LoomStore", "LoomGGUF", "LoomModels", "LoomRuntime", "LoomSampling",
                "LoomKernels", "LoomTensor",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)

// `LOOM_KERNELS_ONLY=1` (used by `make test` for the portable-kernels pass) narrows the package to
// the kernels and their tests, so that pass does not rebuild the server stack in debug.
if Context.environment["LOOM_KERNELS_ONLY"] == "1" {
    let keep: Set<String> = ["LoomTensor", "COpenBLAS", "CLoomKernels", "LoomKernels", "LoomKernelsTests"]
    package.targets = package.targets.filter { keep.contains($0.name) }
    package.products = package.products.filter { keep.contains($0.name) }
    package.dependencies = []
}

// `LOOM_CORE_ONLY=1` (for kernel, model and tokenizer work in a scratch path of its own) keeps the
// targets that need no package dependency — the engine without the store, service, server and CLI —
// and the test targets that test only them, so a fresh scratch path builds in a few minutes.
if Context.environment["LOOM_CORE_ONLY"] == "1" {
    var kept = Set<String>()
    var changed = true
    while changed {
        changed = false
        for target in package.targets where !kept.contains(target.name) {
            let local = target.dependencies.allSatisfy { dependency in
                if case .targetItem(let name, _) = dependency { return kept.contains(name) }
                if case .byNameItem(let name, _) = dependency { return kept.contains(name) }
                return false
            }
            if local, target.type != .executable { kept.insert(target.name); changed = true }
        }
    }
    package.targets = package.targets.filter { kept.contains($0.name) }
    package.products = package.products.filter { product in product.name != "loom" && kept.contains(product.name) }
    package.dependencies = []
}
