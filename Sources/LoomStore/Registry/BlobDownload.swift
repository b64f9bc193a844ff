// BlobDownload: one blob from a registry into the store.
//   - The blob is split into ranged parts (PartPlan) fetched `parallel` at a time with
//     `Range: bytes=a-b`, each from where its PartialDownload counter says, so a crash, a kill -9
//     or a dropped connection costs at most the last unrecorded MiB of each part. A part whose
//     connection fails is retried with backoff (6 tries).
//   - A hasher follows the contiguous prefix on disk while parts arrive (on the other core), so the
//     sha256 is known moments after the last byte; a digest that differs discards the partial files
//     and is reported as `.mismatch`, and nothing enters blobs/. A matching blob is renamed into
//     the store whole.
//   - Downloads is the process's table of running downloads: a second pull of a digest already in
//     flight waits for the same download instead of starting another.

import AsyncHTTPClient
import Crypto
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// How a finished download ended.
public enum DownloadOutcome: Sendable, Equatable {
    /// The blob is in the store.
    case stored
    /// The bytes hash to `got`; nothing was stored.
    case mismatch(got: String)
}

/// One blob download in flight (shared by every pull that needs the digest).
public final class BlobDownload: Sendable {
    public let digest: String
    public let size: Int
    let completedBytes = Atomic<Int>(0)
    let finishedFlag = Atomic<Bool>(false)
    let task = Mutex<Task<DownloadOutcome, Error>?>(nil)

    init(digest: String, size: Int) {
        self.digest = digest
        self.size = size
    }

    /// Bytes on disk so far (resumed bytes included).
    public var completed: Int { completedBytes.load(ordering: .relaxed) }
    /// Whether the download has ended (either way).
    public var isFinished: Bool { finishedFlag.load(ordering: .acquiring) }

    /// Waits for the end of the download.
    public func outcome() async throws -> DownloadOutcome {
        guard let t = task.withLock({ $0 }) else { throw RegistryError.protocolViolation("download not started") }
        return try await t.value
    }

    /// Fetches every part and verifies the whole; the body of `task`.
    func run(store: ModelStore, client: RegistryClient, url: String, parallel: Int, plan: PartPlan) async throws -> DownloadOutcome {
        let partial = try PartialDownload(store: store, digest: digest, plan: plan)
        completedBytes.store(partial.completed, ordering: .relaxed)
        let hashing = Task { try await Self.hash(partial) }
        do {
            try await withThrowingTaskGroup(of: Void.self) { group in
                var next = 0
                func start() {
                    let i = next
                    next += 1
                    group.addTask { try await self.fetch(part: i, of: partial, client: client, url: url) }
                }
                while next < plan.count && next < max(parallel, 1) { start() }
                while try await group.next() != nil {
                    if next < plan.count { start() }
                }
            }
        } catch {
            hashing.cancel()
            throw error
        }
        let got = try await hashing.value
        guard got == digest else {
            partial.discard()
            return .mismatch(got: got)
        }
        try partial.complete(into: store)
        return .stored
    }

    /// Downloads what part `i` lacks, retrying dropped connections.
    func fetch(part i: Int, of partial: PartialDownload, client: RegistryClient, url: String) async throws {
        let range = partial.plan.range(i)
        var failures = 0
        while partial.doneBytes(i) < range.count {
            do {
                try await fetchOnce(part: i, range: range, of: partial, client: client, url: url)
            } catch let error as RegistryError {
                if case .transport = error, failures < 5 {
                    failures += 1
                    try await Task.sleep(for: .milliseconds(250 << failures))
                    continue
                }
                throw error
            }
        }
    }

    /// One ranged GET of the rest of part `i`; records progress every MiB.
    func fetchOnce(part i: Int, range: Range<Int>, of partial: PartialDownload, client: RegistryClient, url: String) async throws {
        var have = partial.doneBytes(i)
        let from = range.lowerBound + have
        var headers = HTTPHeaders()
        headers.add(name: "Range", value: "bytes=\(from)-\(range.upperBound - 1)")
        let response = try await client.send(.GET, url, headers: headers)
        let whole = response.status.code == 200 && from == 0 && range.count == partial.plan.size
        guard response.status.code == 206 || whole else {
            if response.status.code == 200 {
                await RegistryClient.drain(response)
                throw RegistryError.protocolViolation("\(url): the registry ignores byte ranges")
            }
            throw await RegistryClient.failure(response)
        }
        var recorded = have
        do {
            for try await buffer in response.body {
                guard have + buffer.readableBytes <= range.count else {
                    throw RegistryError.protocolViolation("\(url): more bytes than the range asked for")
                }
                try buffer.withUnsafeReadableBytes { p throws(RegistryError) in try partial.write(p, at: range.lowerBound + have) }
                have += buffer.readableBytes
                completedBytes.add(buffer.readableBytes, ordering: .relaxed)
                if have - recorded >= 1 << 20 {
                    try partial.record(i, have)
                    recorded = have
                }
            }
        } catch let error as RegistryError {
            try? partial.record(i, have)
            throw error
        } catch {
            try? partial.record(i, have)
            throw RegistryError.transport("\(url): \(error)")
        }
        try partial.record(i, have)
        if have < range.count { throw RegistryError.transport("\(url): connection closed after \(have) of \(range.count) bytes") }
    }

    /// sha256 of the data file, following the contiguous prefix as parts fill it (read through a
    /// mapping: the bytes are hashed where the page cache holds them).
    static func hash(_ partial: PartialDownload) async throws -> String {
        var hasher = SHA256()
        var hashed = 0
        let size = partial.plan.size
        let mapped = try partial.map()
        defer { if let mapped { munmap(UnsafeMutableRawPointer(mutating: mapped.baseAddress), mapped.count) } }
        while hashed < size, let mapped {
            try Task.checkCancellation()
            let ready = partial.contiguous
            if ready <= hashed {
                try await Task.sleep(for: .milliseconds(2))
                continue
            }
            let end = min(ready, hashed + (8 << 20))
            hasher.update(bufferPointer: UnsafeRawBufferPointer(rebasing: mapped[hashed..<end]))
            hashed = end
        }
        return "sha256:" + hasher.finalize().map { String(format: "%02x", $0) }.joined()
    }
}

/// The downloads running in this process, by store and digest.
public actor Downloads {
    var running: [String: BlobDownload] = [:]

    public init() {}

    /// The download of `digest` into `store`: the one already running, or a new one started now.
    func download(_ digest: String, size: Int, store: ModelStore, client: RegistryClient, url: String,
                  parallel: Int, plan: PartPlan) -> BlobDownload {
        let key = store.root + "|" + digest
        if let d = running[key] { return d }
        let d = BlobDownload(digest: digest, size: size)
        running[key] = d
        d.task.withLock {
            $0 = Task {
                defer {
                    d.finishedFlag.store(true, ordering: .releasing)
                    Task { self.finished(key) }
                }
                return try await d.run(store: store, client: client, url: url, parallel: parallel, plan: plan)
            }
        }
        return d
    }

    func finished(_ key: String) { running[key] = nil }
}
