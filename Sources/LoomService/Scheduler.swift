// Scheduler: which models are loaded, for how long, and who may use them (§4).
//
//   acquire(entry, options)  → a Runner with a free slot: the loaded one if its runner options
//                              (num_ctx, num_batch, num_thread, KV cache type) match; otherwise (re)load it, after
//                              a memory check and evicting the least recently used idle model when
//                              OLLAMA_MAX_LOADED_MODELS are resident. A reload waits for the model's
//                              requests to end, and requests arriving meanwhile queue behind it (no
//                              starvation under steady traffic). A request that has to wait (for
//                              a load or a slot) counts against OLLAMA_MAX_QUEUE; beyond it → 503.
//   release(runner, keep)    → frees the slot; when the model goes idle its keep-alive starts
//                              (0 = unload now, forever = never).
//   unload(entry)            → drops a model now (its in-flight requests finish first).
// Loading runs on its own thread, never on the cooperative pool.

import Foundation
import LoomAPI
import LoomGGUF
import LoomModels
import LoomRuntime

/// Options that fix how a model is loaded; a change means a reload.
struct RunnerOptions: Hashable, Sendable {
    var numCtx: Int
    var numBatch: Int
    var numThread: Int?
    /// Sequences served at once, batched (OLLAMA_NUM_PARALLEL): one KV cache of num_ctx each.
    var parallel = 1
    /// OLLAMA_KV_CACHE_TYPE; a model whose heads are not whole blocks of it loads with f16.
    var cacheType: KVCacheType = .f16
    /// Bytes of prompt prefixes a generator keeps beyond its slots (LOOM_PROMPT_CACHE).
    var promptCache = 0
}

/// A loaded model (a generator or an embedder). Mutable state is only touched on the scheduler actor.
final class Runner: @unchecked Sendable {
    let entry: ModelEntry
    let model: LoadedModel
    let options: RunnerOptions
    /// Bytes: weights file + KV cache.
    let size: Int
    let details: ModelDetails
    var keepAlive: KeepAlive
    /// Realtime nanoseconds when an idle model unloads (Int64.max = never).
    var expiresAt: Int64 = .max
    var active = 0
    var lastUsed: Int64 = 0
    var waiters: [CheckedContinuation<Void, Never>] = []
    /// A request waits to reload this model with other options: it takes no new requests (they
    /// queue behind the reload), and it is dropped when its last request ends.
    var draining = false
    /// Bumped on every release, so that an old unload timer does nothing.
    var epoch = 0

    init(entry: ModelEntry, model: LoadedModel, options: RunnerOptions, size: Int, details: ModelDetails, keepAlive: KeepAlive) {
        self.entry = entry
        self.model = model
        self.options = options
        self.size = size
        self.details = details
        self.keepAlive = keepAlive
    }
}

actor Scheduler {
    let config: ServiceConfiguration
    var runners: [String: Runner] = [:]          // by Self.key(entry)
    var loading: [String: Task<Runner, Error>] = [:]
    var waiting = 0
    let files: ModelFiles

    init(config: ServiceConfiguration, files: ModelFiles) {
        self.config = config
        self.files = files
    }

    func acquire(_ entry: ModelEntry, options: RunnerOptions, keepAlive: KeepAlive?) async throws(APIError) -> Runner {
        var counted = false
        defer { if counted { waiting -= 1 } }
        func wait() throws(APIError) {
            guard !counted else { return }
            guard waiting < config.maxQueue else { throw .busy }
            waiting += 1
            counted = true
        }
        while true {
            if let r = runners[Self.key(entry)] {
                if r.options == options && !r.draining {
                    if r.active < config.numParallel {
                        r.active += 1
                        r.epoch += 1
                        r.lastUsed = Timestamp.realtimeNanoseconds()
                        if let keepAlive { r.keepAlive = keepAlive }
                        return r
                    }
                    try wait()
                    await withCheckedContinuation { r.waiters.append($0) }
                    continue
                }
                if r.options != options && r.active == 0 { drop(r); continue }
                // A reload waits for the model's requests to end, and new requests for the model
                // wait behind it: without that, steady traffic on the model kept a request with
                // another num_ctx waiting for minutes (the soak's stalls and 300 s timeouts).
                if r.options != options { r.draining = true }
                try wait()
                await withCheckedContinuation { r.waiters.append($0) }
                continue
            }
            if let task = loading[Self.key(entry)] {
                try wait()
                _ = try? await task.value
                continue
            }
            try checkMemory(entry, options)
            evictIfFull()
            let keep = keepAlive ?? config.keepAlive
            // The task publishes the runner itself (it runs on this actor), so that whoever awaits
            // it finds the model loaded, whichever of them the actor runs first — with this request's
            // slot already taken and marked used now: an idle, never-used runner would be the first
            // one another request's evictIfFull drops before this one resumes (several models
            // loading at once then evicted each other in a loop: the soak's stalls).
            let path = Self.key(entry)
            let files = files
            let task = Task<Runner, Error> {
                defer { loading[path] = nil }
                let r = try await Self.load(entry, options, keepAlive: keep, files: files)
                r.active = 1
                r.epoch += 1
                r.lastUsed = Timestamp.realtimeNanoseconds()
                runners[path] = r
                return r
            }
            loading[path] = task
            do { return try await task.value } catch {
                throw (error as? APIError) ?? .internalError("\(error)")
            }
        }
    }

    func release(_ r: Runner, keepAlive: KeepAlive?) {
        r.active -= 1
        if let keepAlive { r.keepAlive = keepAlive }
        r.lastUsed = Timestamp.realtimeNanoseconds()
        if r.draining {   // a reload is waiting: drop the model once idle (waking every waiter, in order)
            if r.active == 0 { drop(r) }
            return
        }
        if !r.waiters.isEmpty { r.waiters.removeFirst().resume(); return }
        guard r.active == 0 else { return }
        r.epoch += 1
        switch r.keepAlive {
        case .forever:
            r.expiresAt = .max
        case let .nanoseconds(ns):
            if ns <= 0 { drop(r); return }
            let now = Timestamp.realtimeNanoseconds()
            r.expiresAt = now > Int64.max - ns ? .max : now + ns
            let epoch = r.epoch
            // The timer holds the runner weakly: an evicted or reloaded model frees its memory now,
            // not when its keep-alive would have ended.
            Task { [weak self, weak r] in
                try? await Task.sleep(nanoseconds: UInt64(ns))
                guard let r else { return }
                await self?.expire(r, epoch: epoch)
            }
        }
    }

    func expire(_ r: Runner, epoch: Int) {
        if r.epoch == epoch && r.active == 0 && runners[Self.key(r.entry)] === r { drop(r) }
    }

    /// Unloads the model now, or as soon as its requests finish (keep-alive 0).
    func unload(_ entry: ModelEntry) {
        guard let r = runners[Self.key(entry)] else { return }
        if r.active == 0 { drop(r) } else { r.keepAlive = .nanoseconds(0) }
    }

    func drop(_ r: Runner) {
        if runners[Self.key(r.entry)] === r { runners[Self.key(r.entry)] = nil }
        for w in r.waiters { w.resume() }
        r.waiters = []
        MallocTrim.soon()   // the model's freed memory back to the system (MallocTrim.swift)
    }

    func evictIfFull() {
        while runners.count >= config.maxLoadedModels,
              let idle = runners.values.filter({ $0.active == 0 }).min(by: { $0.lastUsed < $1.lastUsed }) {
            drop(idle)
        }
    }

    /// Runners are per weights file and template (two names for one blob with different templates
    /// are different engines; the same model under two names is one).
    static func key(_ entry: ModelEntry) -> String { entry.path + "\u{0}" + (entry.template ?? "") }

    func loaded() -> [Runner] { runners.values.sorted { $0.lastUsed > $1.lastUsed } }

    /// 500 «model requires more system memory (X GiB) than is available (Y GiB)» when the weights
    /// and KV cache would not fit in MemAvailable.
    func checkMemory(_ entry: ModelEntry, _ options: RunnerOptions) throws(APIError) {
        let need = Self.estimate(entry, options, files: files)
        guard let available = Self.availableMemory(), need > available else { return }
        let gib = { (b: Int) in String(format: "%.1f GiB", Double(b) / 1_073_741_824) }
        throw .internalError("model requires more system memory (\(gib(need))) than is available (\(gib(available)))")
    }

    /// Bytes the model would hold: its file and `parallel` KV caches of `num_ctx` positions.
    static func estimate(_ entry: ModelEntry, _ options: RunnerOptions, files: ModelFiles) -> Int {
        guard let info = try? files.info(entry.path) else {
            return (try? FileManager.default.attributesOfItem(atPath: entry.path)[.size] as? Int) ?? 0
        }
        if info.isEncoder { return info.fileSize }
        let type: KVCacheType = options.cacheType.supports(headDim: info.shape.headDim) ? options.cacheType : .f16
        return info.fileSize + options.parallel * info.shape.kvCacheBytes(positions: min(options.numCtx, info.shape.contextLength), type: type)
    }

    static func availableMemory() -> Int? {
        guard let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
              let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemAvailable:") }),
              let kb = Int(line.split(separator: " ").dropFirst().first ?? "") else { return nil }
        return kb * 1024
    }

    /// Loads on a new thread (a load blocks for its whole duration), from the file `files` opened.
    static func load(_ entry: ModelEntry, _ options: RunnerOptions, keepAlive: KeepAlive, files: ModelFiles) async throws -> Runner {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Runner, Error>) in
            let thread = Thread {
                do {
                    let info = try files.info(entry.path)
                    let cacheType = options.cacheType.supports(headDim: info.shape.headDim) ? options.cacheType : .f16
                    let model = try LoadedModel.load(info: info, contextLength: options.numCtx, threads: options.numThread,
                                                     batchSize: options.numBatch, cacheType: cacheType, template: entry.template,
                                                     parallel: options.parallel, promptCache: options.promptCache)
                    c.resume(returning: Runner(entry: entry, model: model, options: options,
                                               size: info.fileSize + (model.engine?.kvCacheBytes ?? 0),
                                               details: ModelDetails.from(info.file), keepAlive: keepAlive))
                } catch {
                    c.resume(throwing: APIError.internalError("\(error)"))
                }
            }
            thread.stackSize = 8 << 20
            thread.start()
        }
    }
}

extension ModelDetails {
    /// Family, parameter size and quantization level from GGUF metadata.
    static func from(_ file: GGUFFile) -> ModelDetails {
        let m = file.metadata
        let arch = (try? m.string("general.architecture")) ?? "llama"
        let counted = UInt64(file.tensors.reduce(0) { $0 + $1.elementCount })
        let params: UInt64? = (try? m.integerIfPresent("general.parameter_count", as: UInt64.self)).flatMap { $0 } ?? counted
        let size = params.map { p -> String in
            p >= 1_000_000_000 ? String(format: "%.1fB", Double(p) / 1e9) : String(format: "%.2fM", Double(p) / 1e6)
        } ?? ""
        let ftype = (try? m.integerIfPresent("general.file_type", as: UInt32.self)).flatMap { $0 }.flatMap { FileType(rawValue: $0)?.name } ?? "unknown"
        return ModelDetails(family: arch, parameterSize: size, quantizationLevel: ftype)
    }
}
