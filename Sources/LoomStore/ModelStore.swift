// ModelStore: Ollama's on-disk store (§13.1), so a store written by Ollama works with Loom and the
// other way round.
//
//   <root>/manifests/<host>/<namespace>/<model>/<tag>   manifest JSON
//   <root>/blobs/sha256-<64 hex>                         content-addressed blobs
//   <root>/partial/sha256-<64 hex>.data|.parts           pulls in progress (Registry/PartialDownload),
//                                                        beside the store: never listed, never pruned
//
// Every write is atomic: bytes go to a temp file in the same directory, are fsynced, and renamed into
// place (then the directory is fsynced). Blobs are written before the manifest that names them, so a
// crash at any moment leaves either the old manifest or the new one, each with all its blobs; a
// crash can only leave an unreferenced blob or a `.tmp-*` file, which `prune()` removes.
//
// Several servers may share one store (scale-out behind a load balancer, README "Scale-out"): opened
// `readOnly`, a store refuses every write (`StoreError.readOnly`) and `prune()` does nothing, so a
// reader never deletes a file a writer is about to rename into place. A writable store's prune
// removes temp files only once they are older than its grace period, for the same reason.

import Crypto
import Foundation

/// Why a store operation failed.
public enum StoreError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidDigest(String)
    case digestMismatch(expected: String, actual: String)
    case missingBlob(String)
    case notFound(String)
    case io(String)
    case invalidManifest(String)
    /// A write to a store opened read-only (its root).
    case readOnly(String)

    public var description: String {
        switch self {
        case let .invalidDigest(d): return "invalid digest format: \(d)"
        case let .digestMismatch(e, a): return "digest mismatch, expected \"\(e)\", got \"\(a)\""
        case let .missingBlob(d): return "blob \"\(d)\" not found"
        case let .notFound(n): return "model '\(n)' not found"
        case let .io(m): return m
        case let .invalidManifest(m): return "invalid manifest: \(m)"
        case let .readOnly(root): return "the model store \(root) is read-only"
        }
    }
}

/// One installed model.
public struct StoredModel: Sendable {
    public var name: ModelName
    public var manifest: Manifest
    /// sha256 hex of the manifest file's bytes.
    public var digest: String
    /// The manifest file's modification time.
    public var modified: Date
}

/// The store rooted at a directory.
public final class ModelStore: Sendable {
    public let root: String
    /// Whether writes are refused (`serve --read-only`: servers sharing one store).
    public let readOnly: Bool

    /// The store at `root`; `readOnly` refuses every write and makes `prune()` a no-op.
    public init(root: String, readOnly: Bool = false) {
        self.root = root
        self.readOnly = readOnly
    }

    /// Throws `.readOnly` when the store was opened read-only.
    func requireWritable() throws(StoreError) {
        if readOnly { throw .readOnly(root) }
    }

    var blobsDir: String { root + "/blobs" }
    var manifestsDir: String { root + "/manifests" }

    // MARK: - digests and blobs

    /// `sha256:<hex>` (or `sha256-<hex>`) normalized to `sha256:<lowercase hex>`.
    public static func normalize(digest: String) throws(StoreError) -> String {
        let hex = digest.dropFirst(7).lowercased()
        guard digest.count == 71, digest.lowercased().hasPrefix("sha256:") || digest.lowercased().hasPrefix("sha256-"),
              hex.allSatisfy({ $0.isHexDigit }) else { throw .invalidDigest(digest) }
        return "sha256:" + hex
    }

    /// The blob file of `digest`.
    public func blobPath(_ digest: String) throws(StoreError) -> String {
        blobsDir + "/sha256-" + (try Self.normalize(digest: digest)).dropFirst(7)
    }

    public func hasBlob(_ digest: String) -> Bool {
        guard let path = try? blobPath(digest) else { return false }
        return FileManager.default.fileExists(atPath: path)
    }

    /// Writes a blob from `chunks`, verifying `expected` when given; returns its digest and size.
    /// The temp file is removed on any failure; an existing blob is left as it is.
    public func writeBlob<S: AsyncSequence>(_ chunks: S, expected: String? = nil) async throws -> (digest: String, size: Int)
    where S.Element == [UInt8] {
        try requireWritable()
        let expectedDigest = try expected.map { d throws(StoreError) in try Self.normalize(digest: d) }
        try makeDirectory(blobsDir)
        let tmp = blobsDir + "/.tmp-\(UUID().uuidString)"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else { throw StoreError.io("cannot create \(tmp): errno \(errno)") }
        let handle = FileHandle(fileDescriptor: fd, closeOnDealloc: true)
        var hasher = SHA256()
        var size = 0
        do {
            for try await chunk in chunks {
                hasher.update(data: chunk)
                size += chunk.count
                try handle.write(contentsOf: chunk)
            }
            try handle.synchronize()
            try handle.close()
        } catch {
            try? handle.close()
            try? FileManager.default.removeItem(atPath: tmp)
            throw error
        }
        let digest = "sha256:" + hasher.finalize().map { String(format: "%02x", $0) }.joined()
        if let expectedDigest, expectedDigest != digest {
            try? FileManager.default.removeItem(atPath: tmp)
            throw StoreError.digestMismatch(expected: expectedDigest, actual: digest)
        }
        let path = try blobPath(digest)
        if FileManager.default.fileExists(atPath: path) {
            try? FileManager.default.removeItem(atPath: tmp)
        } else {
            try rename(tmp, path)
        }
        return (digest, size)
    }

    /// Writes `bytes` as a blob.
    public func writeBlob(_ bytes: [UInt8]) async throws -> (digest: String, size: Int) {
        try await writeBlob(AsyncStream { c in c.yield(bytes); c.finish() })
    }

    /// A temp path in the blobs directory, for a file to be adopted as a blob (`adopt`).
    public func temporaryBlobPath() throws -> String {
        try requireWritable()
        try makeDirectory(blobsDir)
        return blobsDir + "/.tmp-\(UUID().uuidString)"
    }

    /// Hashes the finished file at `path` (in the blobs directory) and renames it into place as a blob.
    public func adopt(_ path: String) throws -> (digest: String, size: Int) {
        try requireWritable()
        guard let handle = FileHandle(forReadingAtPath: path) else { throw StoreError.io("cannot read \(path)") }
        var hasher = SHA256()
        var size = 0
        while let data = try handle.read(upToCount: 4 << 20), !data.isEmpty {
            hasher.update(data: data)
            size += data.count
        }
        try handle.close()
        let digest = "sha256:" + hasher.finalize().map { String(format: "%02x", $0) }.joined()
        let target = try blobPath(digest)
        if FileManager.default.fileExists(atPath: target) { try? FileManager.default.removeItem(atPath: path) } else { try rename(path, target) }
        return (digest, size)
    }

    /// Copies the file at `path` into the store as a blob, in 4 MiB chunks.
    public func importFile(_ path: String) async throws -> (digest: String, size: Int) {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw StoreError.io("cannot read \(path)") }
        defer { try? handle.close() }
        let chunks = AsyncThrowingStream<[UInt8], Error> { c in
            do {
                while let data = try handle.read(upToCount: 4 << 20), !data.isEmpty { c.yield([UInt8](data)) }
                c.finish()
            } catch { c.finish(throwing: error) }
        }
        return try await writeBlob(chunks)
    }

    // MARK: - manifests

    func manifestPath(_ name: ModelName) -> String {
        ([manifestsDir] + name.manifestComponents).joined(separator: "/")
    }

    /// Every installed model, newest first (a manifest that does not parse is skipped).
    public func list() -> [StoredModel] {
        var out: [StoredModel] = []
        let fm = FileManager.default
        func children(_ dir: String) -> [String] {
            ((try? fm.contentsOfDirectory(atPath: dir)) ?? []).filter { !$0.hasPrefix(".") }.sorted()
        }
        for host in children(manifestsDir) {
            for ns in children(manifestsDir + "/" + host) {
                for model in children([manifestsDir, host, ns].joined(separator: "/")) {
                    for tag in children([manifestsDir, host, ns, model].joined(separator: "/")) {
                        guard let name = ModelName("\(host)/\(ns)/\(model):\(tag)"), let m = try? read(name, exact: true) else { continue }
                        out.append(m)
                    }
                }
            }
        }
        return out.sorted { $0.modified > $1.modified }
    }

    /// The installed model `name` matches (parts compared case-insensitively), or nil.
    public func find(_ name: ModelName) -> StoredModel? {
        if let exact = try? read(name, exact: true) { return exact }
        return list().first { $0.name.matches(name) }
    }

    func read(_ name: ModelName, exact: Bool) throws -> StoredModel {
        let path = manifestPath(name)
        guard let data = FileManager.default.contents(atPath: path) else { throw StoreError.notFound(name.display) }
        let manifest: Manifest
        do { manifest = try JSONDecoder().decode(Manifest.self, from: data) } catch {
            throw StoreError.invalidManifest("\(path): \(error)")
        }
        let modified = ((try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date) ?? Date()
        let digest = SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
        return StoredModel(name: name, manifest: manifest, digest: digest, modified: modified)
    }

    /// Writes `manifest` for `name` atomically, after checking that every blob it names exists.
    public func write(_ manifest: Manifest, for name: ModelName) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        try write(manifestBytes: try encoder.encode(manifest), of: manifest, for: name)
    }

    /// Writes `data` (the bytes of `manifest`, kept verbatim so the file's digest is theirs) for
    /// `name` atomically, after checking that every blob it names exists.
    public func write(manifestBytes data: Data, of manifest: Manifest, for name: ModelName) throws {
        try requireWritable()
        for d in manifest.digests where !hasBlob(d) { throw StoreError.missingBlob(d) }
        let path = manifestPath(name)
        let dir = (path as NSString).deletingLastPathComponent
        try makeDirectory(dir)
        // Written through one descriptor (FileManager.createFile would add a temp file of its own).
        let tmp = dir + "/.tmp-\(UUID().uuidString)"
        let fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, 0o644)
        guard fd >= 0 else { throw StoreError.io("cannot write \(tmp): errno \(errno)") }
        let written = data.withUnsafeBytes { p in p.isEmpty ? 0 : Foundation.write(fd, p.baseAddress, p.count) }
        let synced = fsync(fd) == 0
        close(fd)
        guard written == data.count, synced else {
            unlink(tmp)
            throw StoreError.io("cannot write \(tmp)")
        }
        try rename(tmp, path)
    }

    /// The bytes of `name`'s manifest file (exact name), or nil.
    public func manifestBytes(_ name: ModelName) -> [UInt8]? {
        FileManager.default.contents(atPath: manifestPath(name)).map { [UInt8]($0) }
    }

    /// Removes `name`'s manifest (and empty directories), then those of its blobs no other manifest
    /// uses.
    public func delete(_ name: ModelName) throws {
        try requireWritable()
        guard let model = find(name) else { throw StoreError.notFound(name.display) }
        try FileManager.default.removeItem(atPath: manifestPath(model.name))
        var dir = (manifestPath(model.name) as NSString).deletingLastPathComponent
        while dir.count > manifestsDir.count, ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? ["x"]).isEmpty {
            try? FileManager.default.removeItem(atPath: dir)
            dir = (dir as NSString).deletingLastPathComponent
        }
        let used = Set(list().flatMap(\.manifest.digests))
        for d in Set(model.manifest.digests) where !used.contains(d) {
            if let path = try? blobPath(d) { try? FileManager.default.removeItem(atPath: path) }
        }
    }

    /// Copies `source`'s manifest file, byte for byte, to `destination` (blobs are shared, and the
    /// copy has the same digest).
    public func copy(_ source: ModelName, to destination: ModelName) throws {
        guard let model = find(source) else { throw StoreError.notFound(source.display) }
        let target = find(destination)?.name ?? destination
        if target.canonical == model.name.canonical { return }
        guard let bytes = FileManager.default.contents(atPath: manifestPath(model.name)) else { throw StoreError.notFound(source.display) }
        try write(manifestBytes: bytes, of: model.manifest, for: target)
    }

    /// Deletes blobs no manifest refers to and leftover temp files, skipping those modified in the
    /// last `grace` seconds (a create in progress writes its blobs before its manifest), as Ollama
    /// does at startup. Does nothing in a read-only store.
    public func prune(grace: TimeInterval = 3600) {
        if readOnly { return }
        let now = Date()
        func old(_ path: String) -> Bool {
            let modified = ((try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date) ?? now
            return now.timeIntervalSince(modified) >= grace
        }
        // Temp files a crash left beside manifests (ours `.tmp-*`; Foundation's `.dat.nosync*`): one
        // lives only between its write and its rename, but that may be in another server sharing
        // the store, so only old ones are leftovers.
        if let walker = FileManager.default.enumerator(atPath: manifestsDir) {
            while let relative = walker.nextObject() as? String {
                let file = (relative as NSString).lastPathComponent
                guard file.hasPrefix(".tmp-") || file.hasPrefix(".dat.nosync"), old(manifestsDir + "/" + relative) else { continue }
                try? FileManager.default.removeItem(atPath: manifestsDir + "/" + relative)
            }
        }
        let used = Set(list().flatMap(\.manifest.digests).map { "sha256-" + $0.dropFirst(7) })
        for file in (try? FileManager.default.contentsOfDirectory(atPath: blobsDir)) ?? [] where !used.contains(file) {
            guard file.hasPrefix("sha256-") || file.hasPrefix(".tmp-") || file.hasPrefix(".dat.nosync") else { continue }
            let path = blobsDir + "/" + file
            if old(path) { try? FileManager.default.removeItem(atPath: path) }
        }
    }

    // MARK: - files

    func makeDirectory(_ path: String) throws {
        do { try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true) } catch {
            throw StoreError.io("cannot create \(path): \(error.localizedDescription)")
        }
    }

    /// rename(2) and an fsync of the directory, so the new name survives a crash.
    func rename(_ from: String, _ to: String) throws {
        guard Foundation.rename(from, to) == 0 else {
            try? FileManager.default.removeItem(atPath: from)
            throw StoreError.io("cannot rename \(from) to \(to): errno \(errno)")
        }
        let fd = open((to as NSString).deletingLastPathComponent, O_RDONLY)
        if fd >= 0 { fsync(fd); close(fd) }
    }
}

/// sha256 of bytes as lowercase hex.
public enum SHA256Hex {
    public static func of(_ data: Data) -> String { SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined() }
}
