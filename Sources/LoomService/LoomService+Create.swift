// POST /api/create (§8.7): a new manifest from uploaded blobs (`files`: a GGUF, or a Hugging Face
// Safetensors folder — config.json, *.safetensors, tokenizer files — converted to GGUF by
// LoomConvert) or an existing model (`from`), plus template / system / parameters / messages /
// license layers, streamed as Ollama's status objects: "converting model", "parsing GGUF", "using
// existing layer sha256:…", "creating new layer sha256:…", "writing manifest", "success". Blobs are
// written before the manifest (ModelStore), so a crash at any point leaves the store consistent.

import Foundation
import LoomAPI
import LoomConvert
import LoomGGUF
import LoomRuntime
import LoomStore

extension LoomService {
    public func create(_ request: CreateRequest) async throws(APIError) -> AsyncThrowingStream<ProgressResponse, Error> {
        let store = try requireWritableStore()
        let name = try Self.name(request.model, request.name)
        let hasFiles = !(request.files ?? [:]).isEmpty
        guard hasFiles || !(request.from ?? "").isEmpty else { throw .badRequest("neither 'from' or 'files' was specified") }
        var base: StoredModel?
        if let from = request.from, !from.isEmpty, !hasFiles {
            guard let fromName = LoomStore.ModelName(from) else { throw .badRequest("invalid model name") }
            guard let found = store.find(fromName) else { throw .notFound("model '\(from)' not found") }
            base = found
        }
        var modelBlob: String?
        var folder: HFModelFolder?
        if let files = request.files, !files.isEmpty {
            var paths: [String: String] = [:]
            for (file, digest) in files {
                guard Self.isRelativeClean(file) else { throw .badRequest("file path must be relative") }
                guard let normalized = try? ModelStore.normalize(digest: digest) else { throw .badRequest("invalid digest format") }
                guard store.hasBlob(normalized), let path = try? store.blobPath(normalized) else {
                    throw .badRequest("blob \(file) (\(digest)) not found; upload it with POST /api/blobs/\(digest)")
                }
                paths[file] = path
            }
            if let gguf = files.keys.sorted().first(where: { $0.lowercased().hasSuffix(".gguf") }), let digest = files[gguf] {
                modelBlob = try? ModelStore.normalize(digest: digest)
            } else if paths.keys.contains(where: { $0.hasSuffix(".safetensors") }) && paths["config.json"] != nil {
                do { folder = try HFModelFolder(files: paths) } catch { throw .badRequest("\(error)") }
            } else {
                throw .badRequest("unknown type")
            }
        }
        let quantize = request.quantize.map { $0.lowercased() } ?? ""
        let direct = folder != nil && (quantize == "f32" || quantize == "f16")
        if !quantize.isEmpty, !direct, GGUFQuantizer.targets[quantize] == nil {
            throw .badRequest("unsupported quantization type \(request.quantize ?? ""); Loom quantizes to \(GGUFQuantizer.targets.keys.sorted().joined(separator: ", "))")
        }
        let finalName = store.find(name)?.name ?? name
        let from = base, blob = modelBlob, source = folder
        return AsyncThrowingStream { continuation in
            Task {
                do {
                    try await Self.runCreate(store: store, name: finalName, request: request, base: from, modelBlob: blob, folder: source) {
                        continuation.yield(ProgressResponse(status: $0))
                    }
                    continuation.yield(ProgressResponse(status: "success"))
                    continuation.finish()
                } catch let e as APIError {
                    continuation.finish(throwing: e)
                } catch {
                    continuation.finish(throwing: APIError.badRequest("\(error)"))
                }
            }
        }
    }

    /// Imports the GGUF at `path` as model `name` unless the store already has it (what `make serve`
    /// does for the default model); returns whether it imported.
    public func importModel(_ name: String, from path: String) async throws -> Bool {
        let store = try requireStore()
        guard let parsed = LoomStore.ModelName(name) else { throw APIError.badRequest("invalid model name") }
        if store.find(parsed) != nil { return false }
        let (digest, _) = try await store.importFile(path)
        var request = CreateRequest()
        request.model = name
        try await Self.runCreate(store: store, name: parsed, request: request, base: nil, modelBlob: digest) { _ in }
        return true
    }

    static func runCreate(store: ModelStore, name: LoomStore.ModelName, request: CreateRequest, base: StoredModel?, modelBlob: String?,
                          folder: HFModelFolder? = nil, progress: (String) -> Void) async throws {
        var layers: [Layer] = []
        var config: ModelConfig?
        var modelBlob = modelBlob
        var quantize = request.quantize?.lowercased() ?? ""
        if let folder {
            // F16 as Ollama converts; F32 when quantizing after (the best source), or as asked.
            let type: ConvertOutputType = quantize == "f32" || (!quantize.isEmpty && quantize != "f16") ? .f32 : .f16
            if quantize == "f32" || quantize == "f16" { quantize = "" }
            progress("converting model")
            let tmp = try store.temporaryBlobPath()
            do {
                _ = try await ComputeThread.run { try HFConverter.convert(folder, to: tmp, type: type) }
            } catch {
                try? FileManager.default.removeItem(atPath: tmp)
                throw APIError.badRequest("\(error)")
            }
            modelBlob = try store.adopt(tmp).digest
        }
        if !quantize.isEmpty {
            let q = quantize
            // Quantize the given or inherited weights into a new model blob.
            guard let source = modelBlob ?? base?.manifest.layer(.model)?.digest else { throw APIError.badRequest("nothing to quantize") }
            let file: GGUFFile
            do { file = try GGUFFile(path: try store.blobPath(source)) } catch { throw APIError.badRequest("invalid GGUF: \(error)") }
            for w in GGUFQuantizer.warnings(file) { progress("warning: \(w)") }
            let from = ModelDetails.from(file).quantizationLevel
            progress("quantizing \(from) model to \(q.uppercased())")
            let tmp = try store.temporaryBlobPath()
            do {
                try await ComputeThread.run { try GGUFQuantizer.quantize(file, target: q, to: tmp, threads: ProcessInfo.processInfo.activeProcessorCount) }
            } catch {
                try? FileManager.default.removeItem(atPath: tmp)
                throw APIError.internalError("quantization failed: \(error)")
            }
            modelBlob = try store.adopt(tmp).digest
            if let base { layers = base.manifest.layers.filter { $0.mediaType != Layer.Kind.model.mediaType } }
        }
        if let modelBlob {
            progress("parsing GGUF")
            let path = try store.blobPath(modelBlob)
            let file: GGUFFile
            do { file = try GGUFFile(path: path) } catch { throw APIError.badRequest("invalid GGUF: \(error)") }
            let details = ModelDetailsFromGGUF.config(file)
            config = details
            progress("using existing layer \(modelBlob)")
            layers.insert(Layer(mediaType: Layer.Kind.model.mediaType, digest: modelBlob, size: file.fileSize), at: 0)
        } else if let base {
            layers = base.manifest.layers
            if let path = try? store.blobPath(base.manifest.config.digest), let data = FileManager.default.contents(atPath: path) {
                config = try? JSONDecoder().decode(ModelConfig.self, from: data)
            }
            for l in layers { progress("using existing layer \(l.digest)") }
        }
        func replace(_ kind: Layer.Kind, _ text: String) async throws {
            let (digest, size) = try await store.writeBlob(Array(text.utf8))
            layers.removeAll { $0.mediaType == kind.mediaType }
            layers.append(Layer(mediaType: kind.mediaType, digest: digest, size: size))
            progress("creating new layer \(digest)")
        }
        if let template = request.template, !template.isEmpty { try await replace(.template, template) }
        if let system = request.system { try await replace(.system, system) }
        if let params = request.parameters, case let .object(pairs) = params, !pairs.isEmpty {
            // Merged over the base model's parameters.
            var merged: [JSONValue.Member] = []
            if let old = layers.first(where: { $0.mediaType == Layer.Kind.params.mediaType }),
               let path = try? store.blobPath(old.digest), let data = FileManager.default.contents(atPath: path),
               case let .object(oldPairs)? = try? JSONValue.parse(data) {
                merged = oldPairs.filter { key, _ in !pairs.contains { $0.0 == key } }
            }
            _ = try Options(.object(pairs))   // type-check them as the runtime will
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            try await replace(.params, String(decoding: try encoder.encode(JSONValue.object(merged + pairs)), as: UTF8.self))
        }
        if let messages = request.messages, !messages.isEmpty {
            try await replace(.messages, String(decoding: try JSONEncoder().encode(messages), as: UTF8.self))
        }
        switch request.license {
        case let .string(s)?: try await replace(.license, s)
        case let .array(items)?:
            layers.removeAll { $0.mediaType == Layer.Kind.license.mediaType }
            for case let .string(s) in items {
                let (digest, size) = try await store.writeBlob(Array(s.utf8))
                layers.append(Layer(mediaType: Layer.Kind.license.mediaType, digest: digest, size: size))
            }
        default: break
        }
        let configBytes = try JSONEncoder().encode(config ?? ModelConfig(modelFamily: "", modelType: "", fileType: ""))
        let (configDigest, configSize) = try await store.writeBlob([UInt8](configBytes))
        progress("writing manifest")
        try store.write(Manifest(config: Layer(mediaType: "application/vnd.docker.container.image.v1+json", digest: configDigest, size: configSize),
                                 layers: layers), for: name)
    }
}

extension LoomService {
    /// A `files` key Ollama accepts: relative, no `..`, no empty or `.` components.
    static func isRelativeClean(_ path: String) -> Bool {
        guard !path.isEmpty, !path.hasPrefix("/"), !path.contains("\\") else { return false }
        return path.split(separator: "/", omittingEmptySubsequences: false).allSatisfy { !$0.isEmpty && $0 != "." && $0 != ".." }
    }
}

/// The config blob's fields from GGUF metadata.
enum ModelDetailsFromGGUF {
    static func config(_ file: GGUFFile) -> ModelConfig {
        let d = ModelDetails.from(file)
        return ModelConfig(modelFamily: d.family, modelType: d.parameterSize, fileType: d.quantizationLevel)
    }
}
