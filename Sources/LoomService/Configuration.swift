// ServiceConfiguration: the scheduler's settings, from Ollama's environment variables (§16):
//   OLLAMA_KEEP_ALIVE (5m), OLLAMA_MAX_LOADED_MODELS (3 on CPU), OLLAMA_MAX_QUEUE (512),
//   OLLAMA_NUM_PARALLEL (4), OLLAMA_CONTEXT_LENGTH (4096 on this class of machine),
//   OLLAMA_KV_CACHE_TYPE (f16; q8_0 or q4_0 store keys and values as ggml blocks, 0.53× / 0.28× the
//   bytes — a model whose head width is not a multiple of 32 keeps f16, as Ollama does);
//   and Loom's own LOOM_PROMPT_CACHE (MiB of prompt prefixes a loaded generator keeps beyond its
//   slots, LRU; default 512, 0 turns it off — llama-server's --cache-ram).

import Foundation
import LoomAPI
import LoomModels

/// How the service schedules models.
public struct ServiceConfiguration: Sendable {
    /// Keep-alive of a model when requests give none.
    public var keepAlive = KeepAlive.defaultValue
    /// Most models resident at once (idle ones are evicted, least recently used first).
    public var maxLoadedModels = 3
    /// Most requests waiting for a model load or a free slot; beyond it → 503.
    public var maxQueue = 512
    /// Requests one loaded model serves at once, batched together (Ollama's "auto": 4 on a machine
    /// of this size, memory permitting — each is a KV cache of num_ctx).
    public var numParallel = 4
    /// num_ctx when a request gives none.
    public var contextLength = 4096
    /// Threads per model when a request gives no num_thread (nil = online CPUs).
    public var threads: Int?
    /// Element type of every generator's KV cache.
    public var kvCacheType = KVCacheType.f16
    /// Bytes of prompt prefixes each loaded generator keeps beyond its slots (LOOM_PROMPT_CACHE, MiB).
    public var promptCacheBytes = 512 << 20

    public init() {}

    /// Defaults overridden by the OLLAMA_* variables in `environment`; a malformed value is an error
    /// naming the variable.
    public init(environment: [String: String]) throws(APIError) {
        self.init()
        func int(_ key: String) throws(APIError) -> Int? {
            guard let raw = environment[key], !raw.isEmpty else { return nil }
            guard let v = Int(raw.trimmingCharacters(in: .whitespaces)), v >= 0 else {
                throw .badRequest("\(key): invalid value \"\(raw)\"")
            }
            return v
        }
        if let raw = environment["OLLAMA_KEEP_ALIVE"], !raw.isEmpty {
            if let seconds = Int(raw) { keepAlive = KeepAlive(seconds: Double(seconds)) } else { keepAlive = try KeepAlive.parse(raw) }
        }
        if let v = try int("OLLAMA_MAX_LOADED_MODELS"), v > 0 { maxLoadedModels = v }
        if let v = try int("OLLAMA_MAX_QUEUE"), v > 0 { maxQueue = v }
        if let v = try int("OLLAMA_NUM_PARALLEL"), v > 0 { numParallel = v }
        if let v = try int("OLLAMA_CONTEXT_LENGTH"), v > 0 { contextLength = v }
        if let v = try int("LOOM_PROMPT_CACHE") { promptCacheBytes = v << 20 }
        if let raw = environment["OLLAMA_KV_CACHE_TYPE"], !raw.trimmingCharacters(in: .whitespaces).isEmpty {
            let name = raw.trimmingCharacters(in: .whitespaces).lowercased()
            guard let type = KVCacheType(rawValue: name), type != .f32 else {
                throw .badRequest("OLLAMA_KV_CACHE_TYPE: invalid value \"\(raw)\"")
            }
            kvCacheType = type
        }
    }
}
