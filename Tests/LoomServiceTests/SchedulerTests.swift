// The scheduler through the service (§4): OLLAMA_MAX_LOADED_MODELS evicts the least recently used
// idle model; OLLAMA_MAX_QUEUE bounds the requests waiting for a (re)load (beyond it: 503); a
// num_ctx change reloads (ps context_length follows, clamped to the model's); keep_alive expiry
// unloads an idle model; an unload request while the model is busy takes effect when it finishes;
// the OLLAMA_* variables parse; OLLAMA_KV_CACHE_TYPE sizes the loaded KV cache. Waits poll /api/ps with a generous limit; nothing asserts speed.
// A request holds its slot until its stream ends, so "busy" is a generation of 100 000 tokens
// that the test cancels by dropping its consumer (which also shows cancellation frees the slot).

import Foundation
import LoomAPI
import LoomModels
import LoomService
import Testing

@Suite("scheduler")
struct SchedulerTests {
    typealias F = Fixtures

    static func load(_ service: LoomService, _ model: String, ctx: Int? = nil, keepAlive: KeepAlive? = nil) async throws {
        var r = GenerateRequest(model: model)
        if let ctx { r.options = .object([("num_ctx", JSONValue(ctx))]) }
        r.keepAlive = keepAlive
        _ = try await F.drain(try await service.generate(r))
    }

    static func loaded(_ service: LoomService) async -> [String] { await service.ps().models.map(\.name) }

    /// Polls ps (every 50 ms, up to 30 s) until `condition` holds; returns whether it did.
    static func eventually(_ service: LoomService, _ condition: ([ProcessModel]) -> Bool) async throws -> Bool {
        for _ in 0..<600 {
            if condition(await service.ps().models) { return true }
            try await Task.sleep(nanoseconds: 50_000_000)
        }
        return condition(await service.ps().models)
    }

    /// Starts a very long generation on `model` and returns the task consuming it (cancel it to stop).
    static func hold(_ service: LoomService, _ model: String = "tiny") async throws -> Task<Void, Error> {
        let stream = try await service.generate(F.generate(model, "keep going", options: F.short(100_000_000, temperature: 1)))   // runs until cancelled (the tiny model writes ~10⁵ tokens/s)
        return Task { for try await _ in stream {} }
    }

    @Test("OLLAMA_MAX_LOADED_MODELS=1: loading a second model evicts the first; with 2 both stay")
    func eviction() async throws {
        let one = try F.service { $0.maxLoadedModels = 1 }
        try await Self.load(one, "tiny")
        #expect(await Self.loaded(one) == ["tiny:latest"])
        try await Self.load(one, "tiny-eos")
        #expect(await Self.loaded(one) == ["tiny-eos:latest"])
        let two = try F.service { $0.maxLoadedModels = 2 }
        try await Self.load(two, "tiny")
        try await Self.load(two, "tiny-eos")
        try await Self.load(two, "tiny")                   // most recently used: tiny
        #expect(Set(await Self.loaded(two)) == ["tiny:latest", "tiny-eos:latest"])
        try await Self.load(two, "thinker")                // evicts the least recently used: tiny-eos
        #expect(Set(await Self.loaded(two)) == ["tiny:latest", "thinker:latest"])
    }

    @Test("OLLAMA_MAX_QUEUE=1: requests that need a reload of a busy model queue; one waits, the others get 503")
    func queueFull() async throws {
        let service = try F.service { $0.maxQueue = 1 }
        let holder = try await Self.hold(service)
        // A different num_ctx needs a reload, which has to wait until the busy runner is idle.
        let statuses = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<3 {
                group.addTask {
                    do {
                        let options = F.short(2, extra: [("num_ctx", JSONValue(64))])
                        _ = try await F.drain(try await service.generate(F.generate("tiny", "short", options: options)))
                        return 200
                    } catch let e as APIError {
                        return e.status
                    } catch { return -1 }
                }
            }
            var seen: [Int] = []
            for await status in group {
                seen.append(status)
                if seen.filter({ $0 == 503 }).count == 2 { holder.cancel() }   // now let the waiting one run
            }
            return seen
        }
        #expect(statuses.sorted() == [200, 503, 503])
        #expect(APIError.busy.message == "server busy, please try again.  maximum pending requests exceeded")
        _ = await holder.result
        #expect(await service.ps().models.map(\.contextLength) == [64])   // the waiting request reloaded it
    }

    @Test("a reload of a busy model is not starved: requests for the old options arriving meanwhile queue behind it")
    func reloadNotStarved() async throws {
        let service = try F.service { $0.numParallel = 2 }
        let holder = try await Self.hold(service)            // one of the two slots, until cancelled
        let order = OrderLog()
        let reload = Task {
            let options = F.short(2, extra: [("num_ctx", JSONValue(64))])
            _ = try await F.drain(try await service.generate(F.generate("tiny", "reload", options: options)))
            await order.append("reload")
        }
        #expect(try await Self.eventuallyQueued(service, 1))   // the reload waits for the holder
        // The old options, with a slot free: before the fix this ran at once, and a steady stream of
        // such requests kept the reload waiting for as long as it lasted.
        let same = Task {
            _ = try await F.drain(try await service.generate(F.generate("tiny", "same")))
            await order.append("same")
        }
        #expect(try await Self.eventuallyQueued(service, 2))
        holder.cancel()
        _ = await holder.result
        try await reload.value
        try await same.value
        #expect(await order.names == ["reload", "same"])
    }

    /// Polls the queue depth (every 20 ms, up to 30 s) until it is `n`.
    static func eventuallyQueued(_ service: LoomService, _ n: Int) async throws -> Bool {
        for _ in 0..<1500 {
            if await service.queueDepth() == n { return true }
            try await Task.sleep(nanoseconds: 20_000_000)
        }
        return false
    }

    actor OrderLog {
        var names: [String] = []
        func append(_ name: String) { names.append(name) }
    }

    @Test("a cancelled generation frees its slot: the next request runs")
    func cancellationFreesSlot() async throws {
        let service = try F.service()
        let holder = try await Self.hold(service)
        holder.cancel()
        _ = await holder.result
        let items = try await F.drain(try await service.generate(F.generate("tiny", "next", options: F.short(2))))
        #expect(items.last?.doneReason == "length")
    }

    @Test("num_ctx change reloads the model; ps shows the allocated context, clamped to the model's")
    func numCtxReload() async throws {
        let service = try F.service()
        try await Self.load(service, "tiny", ctx: 64)
        #expect(await service.ps().models.map(\.contextLength) == [64])
        try await Self.load(service, "tiny", ctx: 128)
        #expect(await service.ps().models.map(\.contextLength) == [128])
        try await Self.load(service, "tiny", ctx: 100_000)
        #expect(await service.ps().models.map(\.contextLength) == [256])
        // No num_ctx: the server default (OLLAMA_CONTEXT_LENGTH) applies, clamped as well.
        let small = try F.service { $0.contextLength = 32 }
        try await Self.load(small, "tiny")
        #expect(await small.ps().models.map(\.contextLength) == [32])
    }

    @Test("keep_alive expiry unloads an idle model; -1 keeps it (expires_at centuries away)")
    func keepAliveExpiry() async throws {
        let service = try F.service()
        try await Self.load(service, "tiny", keepAlive: KeepAlive(seconds: 0.3))
        #expect(try await Self.eventually(service) { $0.isEmpty })
        try await Self.load(service, "tiny", keepAlive: .forever)
        let forever = try #require(await service.ps().models.first)
        #expect((Int(forever.expiresAt.prefix(4)) ?? 0) >= 2200)
        try await Self.load(service, "tiny", keepAlive: KeepAlive(seconds: 3600))
        let hour = try #require(await service.ps().models.first)
        #expect((Int(hour.expiresAt.prefix(4)) ?? 0) < 2200)
        // OLLAMA_KEEP_ALIVE sets the default for requests that give none.
        let quick = try F.service { $0.keepAlive = KeepAlive(seconds: 0.3) }
        try await Self.load(quick, "tiny")
        #expect(try await Self.eventually(quick) { $0.isEmpty })
    }

    @Test("an unload request for a busy model answers at once and unloads when the request ends")
    func unloadWhileBusy() async throws {
        let service = try F.service()
        let holder = try await Self.hold(service)
        var unload = GenerateRequest(model: "tiny")
        unload.keepAlive = .nanoseconds(0)
        #expect(try await F.drain(try await service.generate(unload)).last?.doneReason == "unload")
        #expect(await Self.loaded(service) == ["tiny:latest"])
        holder.cancel()
        _ = await holder.result
        #expect(try await Self.eventually(service) { $0.isEmpty })
    }

    @Test("ServiceConfiguration reads OLLAMA_* variables; a malformed value names the variable")
    func environment() throws {
        let c = try ServiceConfiguration(environment: [
            "OLLAMA_MAX_LOADED_MODELS": "1", "OLLAMA_MAX_QUEUE": "2", "OLLAMA_NUM_PARALLEL": "3",
            "OLLAMA_CONTEXT_LENGTH": "64", "OLLAMA_KEEP_ALIVE": "10m",
        ])
        #expect(c.maxLoadedModels == 1 && c.maxQueue == 2 && c.numParallel == 3 && c.contextLength == 64)
        #expect(c.keepAlive == .nanoseconds(600_000_000_000))
        #expect(try ServiceConfiguration(environment: ["OLLAMA_KEEP_ALIVE": "30"]).keepAlive == .nanoseconds(30_000_000_000))
        #expect(try ServiceConfiguration(environment: ["OLLAMA_KEEP_ALIVE": "-1"]).keepAlive == .forever)
        #expect(throws: APIError.badRequest("OLLAMA_MAX_QUEUE: invalid value \"lots\"")) {
            try ServiceConfiguration(environment: ["OLLAMA_MAX_QUEUE": "lots"])
        }
        let defaults = try ServiceConfiguration(environment: [:])
        #expect(defaults.maxLoadedModels == 3 && defaults.maxQueue == 512 && defaults.numParallel == 4 && defaults.contextLength == 4096)
        #expect(defaults.kvCacheType == .f16)
        #expect(try ServiceConfiguration(environment: ["OLLAMA_KV_CACHE_TYPE": "q8_0"]).kvCacheType == .q8_0)
        #expect(try ServiceConfiguration(environment: ["OLLAMA_KV_CACHE_TYPE": " Q4_0 "]).kvCacheType == .q4_0)
        #expect(try ServiceConfiguration(environment: ["OLLAMA_KV_CACHE_TYPE": ""]).kvCacheType == .f16)
        #expect(throws: APIError.badRequest("OLLAMA_KV_CACHE_TYPE: invalid value \"q5_1\"")) {
            try ServiceConfiguration(environment: ["OLLAMA_KV_CACHE_TYPE": "q5_1"])
        }
    }

    @Test("OLLAMA_KV_CACHE_TYPE sizes the loaded cache (ps size); heads that are not whole q8_0 blocks keep f16")
    func kvCacheType() async throws {
        var wide = TinyModel.Spec(); wide.heads = 2; wide.kvHeads = 1   // 32-wide heads: one block
        let dir = try F.modelDirectory(["wide": wide, "narrow": TinyModel.Spec()])   // narrow: 16-wide heads
        func size(_ model: String, _ type: KVCacheType) async throws -> Int {
            var config = ServiceConfiguration()
            config.threads = 1
            config.kvCacheType = type
            config.numParallel = 1
            let service = LoomService(catalog: DirectoryCatalog(directory: dir), configuration: config)
            try await Self.load(service, model, ctx: 64)
            return try #require(await service.ps().models.first).size
        }
        // wide: keys and values × 2 layers × 64 positions × 32 values: f16 16384 B, q8_0 8704 B, q4_0 4608 B.
        let f16 = try await size("wide", .f16), q8 = try await size("wide", .q8_0), q4 = try await size("wide", .q4_0)
        #expect(f16 - q8 == 16384 - 8704 && f16 - q4 == 16384 - 4608)
        #expect(try await size("narrow", .q8_0) == (try await size("narrow", .f16)))
    }
}
