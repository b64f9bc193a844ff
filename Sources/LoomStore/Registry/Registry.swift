// Registry: `pull` and `push` of a model between a ModelStore and a registry, as streams of Ollama's
// progress statuses (§8.8, §8.9):
//   pull  "pulling manifest" → per layer (config last) "pulling <12 hex>" {digest,total,completed}
//         every 60 ms (one line with completed == total when the store has it) → "verifying sha256
//         digest" → "writing manifest" → ["removing unused layers"] → "success"
//   push  "retrieving manifest" → per layer "pushing <12 hex>" {…} → "pushing manifest" → "success"
// Pull stores the manifest bytes exactly as the registry served them, last and atomically, after
// every blob it names is in the store and verified; a failure at any step leaves the store as it was
// (partial downloads stay in <root>/partial to be resumed). Push sends the stored manifest bytes, so
// the registry's manifest digest equals the local one.

import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1

/// One progress object of a pull or push.
public struct RegistryProgress: Sendable, Equatable {
    public var status: String
    public var digest: String?
    public var total: Int?
    public var completed: Int?

    public init(_ status: String, digest: String? = nil, total: Int? = nil, completed: Int? = nil) {
        self.status = status
        self.digest = digest
        self.total = total
        self.completed = completed
    }

    /// `pulling|pushing <12 hex>` of a layer; `completed` omitted while 0, as Ollama does.
    static func layer(_ verb: String, _ layer: Layer, _ completed: Int) -> RegistryProgress {
        RegistryProgress("\(verb) \(layer.digest.dropFirst(7).prefix(12))", digest: layer.digest, total: layer.size,
                         completed: completed > 0 ? completed : nil)
    }
}

/// Pulls and pushes models.
public struct Registry: Sendable {
    public let client: RegistryClient
    let downloads: Downloads
    /// Ranged parts fetched at once per blob.
    public var parallelParts = 4
    /// How blobs are split.
    public var plan: @Sendable (Int) -> PartPlan = { PartPlan(size: $0) }

    public init(client: RegistryClient = RegistryClient(), downloads: Downloads = Downloads()) {
        self.client = client
        self.downloads = downloads
    }

    static let manifestTypes = [
        "application/vnd.docker.distribution.manifest.v2+json", "application/vnd.oci.image.manifest.v1+json",
    ]

    // MARK: - pull

    /// Pulls `name` into `store`.
    public func pull(_ name: String, insecure: Bool, into store: ModelStore) -> AsyncThrowingStream<RegistryProgress, Error> {
        stream { yield in try await pull(name, insecure: insecure, into: store, yield) }
    }

    func pull(_ text: String, insecure: Bool, into store: ModelStore, _ yield: (RegistryProgress) -> Void) async throws {
        let reference = try RegistryReference(text, insecure: insecure)
        let target = store.find(reference.name)?.name ?? reference.name
        let previous = store.find(target)
        yield(RegistryProgress("pulling manifest"))
        let (bytes, manifest) = try await fetchManifest(reference)
        var mismatch: RegistryError?
        for layer in manifest.layers + [manifest.config] {
            if store.hasBlob(layer.digest) {
                PartialDownload.removeLeftovers(store: store, digest: layer.digest)
                yield(.layer("pulling", layer, layer.size))
                continue
            }
            let download = await downloads.download(layer.digest, size: layer.size, store: store, client: client,
                                                     url: reference.blobURL(layer.digest), parallel: parallelParts, plan: plan(layer.size))
            let outcome = Task { try await download.outcome() }
            while true {
                yield(.layer("pulling", layer, download.completed))
                if await Self.finished(outcome, within: .milliseconds(60)) { break }
                try Task.checkCancellation()
            }
            switch try await outcome.value {
            case .stored: yield(.layer("pulling", layer, layer.size))
            case let .mismatch(got): mismatch = mismatch ?? .digestMismatch(want: layer.digest, got: got)
            }
        }
        yield(RegistryProgress("verifying sha256 digest"))
        if let mismatch { throw mismatch }
        yield(RegistryProgress("writing manifest"))
        do { try store.write(manifestBytes: Data(bytes), of: manifest, for: target) } catch let e as StoreError { throw RegistryError(e) }
        if let previous {
            let used = Set(store.list().flatMap(\.manifest.digests))
            let unused = Set(previous.manifest.digests).subtracting(used)
            if !unused.isEmpty {
                yield(RegistryProgress("removing unused layers"))
                for d in unused { if let p = try? store.blobPath(d) { try? FileManager.default.removeItem(atPath: p) } }
            }
        }
        yield(RegistryProgress("success"))
    }

    /// The manifest's bytes as served, and their parse.
    func fetchManifest(_ reference: RegistryReference) async throws(RegistryError) -> ([UInt8], Manifest) {
        do throws(RegistryError) {
            let response = try await client.send(.GET, reference.manifestURL, headers: ["Accept": Self.manifestTypes.joined(separator: ", ")])
            switch response.status.code {
            case 200: break
            case 404: await RegistryClient.drain(response); throw RegistryError.manifestNotFound
            default: throw await RegistryClient.failure(response)
            }
            var body: ByteBuffer
            do { body = try await response.body.collect(upTo: 4 << 20) } catch { throw RegistryError.transport("\(reference.manifestURL): \(error)") }
            let bytes = body.readBytes(length: body.readableBytes) ?? []
            let manifest: Manifest
            do { manifest = try JSONDecoder().decode(Manifest.self, from: Data(bytes)) } catch {
                throw RegistryError.protocolViolation("invalid manifest: \(error)")
            }
            for d in manifest.digests {
                guard (try? ModelStore.normalize(digest: d)) == d else { throw RegistryError.protocolViolation("invalid manifest: digest \(d)") }
            }
            return (bytes, manifest)
        } catch {
            throw error.pullingManifest()
        }
    }

    // MARK: - push

    /// Pushes `name` from `store`.
    public func push(_ name: String, insecure: Bool, from store: ModelStore) -> AsyncThrowingStream<RegistryProgress, Error> {
        stream { yield in try await push(name, insecure: insecure, from: store, yield) }
    }

    func push(_ text: String, insecure: Bool, from store: ModelStore, _ yield: (RegistryProgress) -> Void) async throws {
        let reference = try RegistryReference(text, insecure: insecure)
        yield(RegistryProgress("retrieving manifest"))
        guard let model = store.find(reference.name), let bytes = store.manifestBytes(model.name) else {
            yield(RegistryProgress("couldn't retrieve manifest"))
            throw RegistryError.localModelNotFound(reference.name.display)
        }
        for layer in model.manifest.layers + [model.manifest.config] {
            let path: String
            do { path = try store.blobPath(layer.digest) } catch { throw RegistryError(error) }
            guard store.hasBlob(layer.digest) else { throw RegistryError(StoreError.missingBlob(layer.digest)) }
            let upload = BlobUpload(layer: layer)
            let task = Task { try await upload.run(path: path, reference: reference, client: client) }
            while true {
                yield(.layer("pushing", layer, upload.completed))
                if await Self.finished(task, within: .milliseconds(60)) { break }
            }
            try await task.value
            yield(.layer("pushing", layer, layer.size))
        }
        yield(RegistryProgress("pushing manifest"))
        let url = "\(reference.base)/v2/\(reference.repository)/manifests/\(reference.name.tag)"
        let response = try await client.send(.PUT, url, headers: ["Content-Type": model.manifest.mediaType, "Content-Length": "\(bytes.count)"]) {
            .bytes(ByteBuffer(bytes: bytes))
        }
        guard response.status.code == 201 || response.status.code == 200 else { throw await RegistryClient.failure(response) }
        await RegistryClient.drain(response)
        yield(RegistryProgress("success"))
    }

    // MARK: - helpers

    /// Whether `task` ends within `interval`.
    static func finished<T: Sendable>(_ task: Task<T, Error>, within interval: Duration) async -> Bool {
        await withTaskGroup(of: Bool.self) { group in
            group.addTask { _ = await task.result; return true }
            group.addTask { try? await Task.sleep(for: interval); return false }
            let first = await group.next() ?? false
            group.cancelAll()
            return first
        }
    }

    /// Runs `body` in a task whose `yield`s become the stream's elements.
    func stream(_ body: @escaping @Sendable ((RegistryProgress) -> Void) async throws -> Void) -> AsyncThrowingStream<RegistryProgress, Error> {
        AsyncThrowingStream { continuation in
            let task = Task {
                do {
                    try await body { continuation.yield($0) }
                    continuation.finish()
                } catch {
                    continuation.finish(throwing: error)
                }
            }
            continuation.onTermination = { _ in task.cancel() }
        }
    }
}
