// BlobUpload: one blob from the store to a registry, as Ollama pushes (§14):
//   HEAD blobs/<digest>            200 → the registry has it: done
//   POST blobs/uploads/            (?mount=<digest>&from=<ns/model> when the layer names a source
//                                  model) 201 → mounted from that repository: done; 202 → Location
//   PATCH <location>               the bytes in chunks (Content-Range: start-end), each answer's
//                                  Location is the next URL
//   PUT <location>&digest=<digest> commit; the registry verifies the digest
// The body streams from the blob file in 1 MiB reads; `completed` counts bytes handed to the
// connection, and rolls back when a chunk fails.

import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import Synchronization

/// One blob upload in flight.
public final class BlobUpload: Sendable {
    public let layer: Layer
    let completedBytes = Atomic<Int>(0)

    init(layer: Layer) { self.layer = layer }

    /// Bytes sent (or present on the registry).
    public var completed: Int { completedBytes.load(ordering: .relaxed) }

    /// Bytes per PATCH request.
    static let chunkSize = 64 << 20

    /// Pushes the blob at `path` to `reference`'s repository.
    func run(path: String, reference: RegistryReference, client: RegistryClient) async throws {
        let digest = layer.digest
        let head = try await client.send(.HEAD, reference.blobURL(digest))
        await RegistryClient.drain(head)
        if head.status.code == 200 {
            completedBytes.store(layer.size, ordering: .relaxed)
            return
        }
        var start = reference.uploadsURL
        if let from = layer.from, let source = ModelName(from), source.host == reference.name.host {
            let repository = "\(source.namespace)/\(source.model)"
            start += "?mount=\(digest)&from=\(repository.addingPercentEncoding(withAllowedCharacters: .urlQueryAllowed) ?? repository)"
        }
        let post = try await client.send(.POST, start, headers: ["Content-Length": "0"])
        if post.status.code == 201 {
            await RegistryClient.drain(post)
            completedBytes.store(layer.size, ordering: .relaxed)
            return
        }
        guard post.status.code == 202, var location = Self.location(post) else { throw await RegistryClient.failure(post) }
        await RegistryClient.drain(post)
        location = reference.resolve(location)

        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw RegistryError.store("cannot read \(path): errno \(errno)") }
        defer { close(fd) }
        var offset = 0
        while offset < layer.size {
            let count = min(Self.chunkSize, layer.size - offset)
            let range = offset..<(offset + count)
            let before = completed
            let chunks = FileChunks(fd: fd, range: range, sent: self)
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: "application/octet-stream")
            headers.add(name: "Content-Length", value: "\(count)")
            headers.add(name: "Content-Range", value: "\(range.lowerBound)-\(range.upperBound - 1)")
            let patch: HTTPClientResponse
            do {
                patch = try await client.send(.PATCH, location, headers: headers) { .stream(chunks, length: .known(Int64(count))) }
            } catch {
                completedBytes.store(before, ordering: .relaxed)
                throw error
            }
            guard patch.status.code == 202, let next = Self.location(patch) else {
                completedBytes.store(before, ordering: .relaxed)
                throw await RegistryClient.failure(patch)
            }
            await RegistryClient.drain(patch)
            location = reference.resolve(next)
            offset += count
        }
        let commit = location + (location.contains("?") ? "&" : "?") + "digest=\(digest)"
        let put = try await client.send(.PUT, commit, headers: ["Content-Length": "0", "Content-Type": "application/octet-stream"])
        guard put.status.code == 201 || put.status.code == 204 else { throw await RegistryClient.failure(put) }
        await RegistryClient.drain(put)
        completedBytes.store(layer.size, ordering: .relaxed)
    }

    static func location(_ response: HTTPClientResponse) -> String? {
        response.headers.first(name: "Docker-Upload-Location") ?? response.headers.first(name: "Location")
    }
}

/// A byte range of a file as ByteBuffers of at most 1 MiB, read on demand (the connection's pace).
struct FileChunks: AsyncSequence, Sendable {
    typealias Element = ByteBuffer
    let fd: Int32
    let range: Range<Int>
    let sent: BlobUpload

    struct AsyncIterator: AsyncIteratorProtocol {
        let fd: Int32
        var offset: Int
        let end: Int
        let sent: BlobUpload

        mutating func next() async throws -> ByteBuffer? {
            guard offset < end else { return nil }
            let n = Swift.min(1 << 20, end - offset)
            var buffer = ByteBufferAllocator().buffer(capacity: n)
            let got = buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: n) { p in
                Swift.max(0, pread(fd, p.baseAddress, n, off_t(offset)))
            }
            guard got == n else { throw RegistryError.store("short read of a blob at offset \(offset)") }
            offset += n
            sent.completedBytes.add(n, ordering: .relaxed)
            return buffer
        }
    }

    func makeAsyncIterator() -> AsyncIterator { AsyncIterator(fd: fd, offset: range.lowerBound, end: range.upperBound, sent: sent) }
}
