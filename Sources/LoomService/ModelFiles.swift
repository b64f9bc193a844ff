// ModelFiles: the model files the service has opened, by path — each parsed once (`ModelInfo`) and
// shared by the capability check, the scheduler's memory estimate, the load itself and the
// model's details, so a cold load parses its GGUF header once. Store blobs never change under a
// path; the few most recent are kept (each holds its file's mapping, not its memory).

import Foundation
import LoomRuntime

final class ModelFiles: @unchecked Sendable {
    private let lock = NSLock()
    private var infos: [String: ModelInfo] = [:]
    private var order: [String] = []
    /// Files kept open.
    let limit: Int

    init(limit: Int = 8) { self.limit = limit }

    /// The file at `path`, opened on first use.
    func info(_ path: String) throws(EngineError) -> ModelInfo {
        lock.lock()
        if let info = infos[path] {
            order.removeAll { $0 == path }
            order.append(path)
            lock.unlock()
            return info
        }
        lock.unlock()
        let info = try ModelInfo(path: path)
        lock.lock()
        defer { lock.unlock() }
        if let raced = infos[path] { return raced }
        infos[path] = info
        order.append(path)
        while order.count > limit { infos[order.removeFirst()] = nil }
        return info
    }

    /// Forgets `path` (its blob was deleted).
    func forget(_ path: String) {
        lock.lock()
        defer { lock.unlock() }
        infos[path] = nil
        order.removeAll { $0 == path }
    }
}
