// One store shared by several servers (README "Scale-out"): a store opened read-only serves what a
// writable one wrote — and what it adds later — but refuses every write with `.readOnly`, and its
// prune touches nothing; a writable store's prune leaves a temp file another server may be about to
// rename into place (younger than the grace period) and removes old leftovers.
// The HTTP side (403 from `serve --read-only`, several servers on one store behind nginx) runs in
// Tests/Integration/test_scaleout.py.

import Foundation
@testable import LoomStore
import Testing

@Suite struct SharedStoreTests {
    func root() -> String { NSTemporaryDirectory() + "loom-shared-\(UUID().uuidString)" }

    /// A manifest with one config blob and one model blob written through `store`.
    func install(_ name: String, in store: ModelStore) async throws -> Manifest {
        let config = try await store.writeBlob(Array(#"{"model_format":"gguf"}"#.utf8))
        let model = try await store.writeBlob(Array("weights of \(name)".utf8))
        let manifest = Manifest(config: Layer(mediaType: "application/vnd.docker.container.image.v1+json", digest: config.digest, size: config.size),
                                layers: [Layer(mediaType: Layer.Kind.model.mediaType, digest: model.digest, size: model.size)])
        try store.write(manifest, for: try #require(ModelName(name)))
        return manifest
    }

    @Test func readOnlyReadsButNeverWrites() async throws {
        let dir = root()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let writer = ModelStore(root: dir)
        let reader = ModelStore(root: dir, readOnly: true)
        let manifest = try await install("shared:1", in: writer)
        let name = try #require(ModelName("shared:1"))
        let other = try #require(ModelName("other:1")), copy = try #require(ModelName("copy:1"))
        #expect(reader.find(name)?.manifest == manifest)

        await #expect(throws: StoreError.readOnly(dir)) { try await reader.writeBlob(Array("x".utf8)) }
        #expect(throws: StoreError.readOnly(dir)) { try reader.write(manifest, for: other) }
        #expect(throws: StoreError.readOnly(dir)) { try reader.copy(name, to: copy) }
        #expect(throws: StoreError.readOnly(dir)) { try reader.delete(name) }
        #expect(throws: StoreError.readOnly(dir)) { try reader.temporaryBlobPath() }
        #expect(StoreError.readOnly(dir).description == "the model store \(dir) is read-only")
        #expect(reader.find(name) != nil && reader.list().count == 1)

        // What the writer adds afterwards, the reader sees on its next lookup.
        _ = try await install("shared:2", in: writer)
        #expect(reader.list().count == 2)
    }

    @Test func pruneSparesOtherServersTempFilesAndReadOnlyPrunesNothing() async throws {
        let dir = root()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let writer = ModelStore(root: dir)
        _ = try await install("shared:1", in: writer)
        let fm = FileManager.default
        let manifestDir = dir + "/manifests/registry.ollama.ai/library/shared"
        let young = manifestDir + "/.tmp-young", old = manifestDir + "/.tmp-old"
        let unused = dir + "/blobs/sha256-" + String(repeating: "0", count: 64)
        for path in [young, old, unused] { #expect(fm.createFile(atPath: path, contents: Data("x".utf8))) }
        let hourAgo = Date(timeIntervalSinceNow: -7200)
        for path in [old, unused] { try fm.setAttributes([.modificationDate: hourAgo], ofItemAtPath: path) }

        ModelStore(root: dir, readOnly: true).prune()
        #expect([young, old, unused].allSatisfy { fm.fileExists(atPath: $0) })

        writer.prune()
        #expect(fm.fileExists(atPath: young))
        #expect(!fm.fileExists(atPath: old) && !fm.fileExists(atPath: unused))
        #expect(writer.list().count == 1)
    }
}
