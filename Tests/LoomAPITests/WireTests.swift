// The wire layer without a model: keep_alive parsing (§4.1), typed options (§3), model names
// (§2.1), JSON shapes of responses (§1.4, §5.3), and the CORS/Host policy (§1.5).

import Foundation
import LoomAPI
import LoomServer
import LoomService
import LoomStore
import Testing

@Suite("Ollama wire types")
struct WireTests {
    @Test("keep_alive: numbers are seconds, Go durations, negative = forever, unit-less strings are errors")
    func keepAlive() throws {
        func decode(_ json: String) throws -> KeepAlive {
            struct Box: Decodable { var k: KeepAlive }
            return try JSONDecoder().decode(Box.self, from: Data("{\"k\":\(json)}".utf8)).k
        }
        #expect(try decode("30") == .nanoseconds(30_000_000_000))
        #expect(try decode("42.5") == .nanoseconds(42_500_000_000))
        #expect(try decode("-1") == .forever)
        #expect(try decode("\"5m\"") == .nanoseconds(300_000_000_000))
        #expect(try decode("\"1h30m\"") == .nanoseconds(5_400_000_000_000))
        #expect(try decode("\"300ms\"") == .nanoseconds(300_000_000))
        #expect(try decode("\"-1m\"") == .forever)
        #expect(try decode("\"0\"") == .nanoseconds(0))
        #expect(try decode("\"0s\"") == .nanoseconds(0))
        #expect(throws: DecodingError.self) { try decode("\"-1\"") }
        #expect(throws: DecodingError.self) { try decode("\"10\"") }
        #expect(throws: DecodingError.self) { try decode("true") }
        #expect(throws: APIError.badRequest("time: missing unit in duration \"-1\"")) { try KeepAlive.parse("-1") }
    }

    @Test("options: ints truncate fractions, floats need numbers, stop needs strings, unknown keys ignored")
    func options() throws {
        let json = #"{"num_ctx": 2048.9, "temperature": 0, "stop": ["a", "b"], "seed": 42, "mirostat": 1, "foo": "bar", "top_k": null}"#
        let o = try Options(try JSONDecoder().decode(JSONValue.self, from: Data(json.utf8)))
        #expect(o.numCtx == 2048 && o.temperature == 0 && o.stop == ["a", "b"] && o.seed == 42 && o.topK == nil)
        #expect(throws: APIError.badRequest("option \"temperature\" must be of type float32")) {
            try Options(.object([("temperature", .string("hot"))]))
        }
        #expect(throws: APIError.badRequest("option \"num_predict\" must be of type integer")) {
            try Options(.object([("num_predict", .bool(true))]))
        }
        #expect(throws: APIError.badRequest("option \"stop\" must be of an array of strings")) {
            try Options(.object([("stop", .array([1]))]))
        }
    }

    @Test("model names normalize to the short form with a tag; invalid ones are rejected")
    func names() {
        #expect(ModelName("llama3.2")?.display == "llama3.2:latest")
        #expect(ModelName("registry.ollama.ai/library/llama3.2:latest")?.display == "llama3.2:latest")
        #expect(ModelName("library/llama3.2")?.canonical == "registry.ollama.ai/library/llama3.2:latest")
        #expect(ModelName("smollm2:135m")?.display == "smollm2:135m")
        #expect(ModelName("mattw/pygmalion:latest")?.display == "mattw/pygmalion:latest")
        #expect(ModelName("hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M")?.display == "hf.co/bartowski/Llama-3.2-1B-Instruct-GGUF:Q4_K_M")
        #expect(ModelName("http://localhost:5000/ns/m:t")?.host == "localhost:5000")
        #expect(ModelName("LLaMA3.2:LATEST")!.matches(ModelName("llama3.2")!))
        for bad in ["bad name!", "a/b/c/d", "model:", "", ":tag", "-x", "/model", "m@sha256:00"] { #expect(ModelName(bad) == nil, "\(bad)") }
    }

    @Test("responses omit empty optional fields and zero metrics; durations are integers")
    func responseShape() throws {
        let chunk = GenerateResponse(model: "m", createdAt: "2026-01-01T00:00:00Z", response: "Hi")
        let text = String(decoding: try JSONEncoder().encode(chunk), as: UTF8.self)
        let obj = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(Set(obj.keys) == ["model", "created_at", "response", "done"])
        let done = GenerateResponse(model: "m", createdAt: "t", done: true, doneReason: "stop", context: [1, 2],
                                    metrics: Metrics(totalDuration: 5, loadDuration: 0, promptEvalCount: 3, promptEvalDuration: 4,
                                                     evalCount: 2, evalDuration: 1))
        let d = try #require(try JSONSerialization.jsonObject(with: try JSONEncoder().encode(done)) as? [String: Any])
        #expect(d["load_duration"] == nil && d["total_duration"] as? Int == 5 && d["eval_count"] as? Int == 2)
        #expect(d["done_reason"] as? String == "stop" && (d["context"] as? [Int]) == [1, 2])
    }

    @Test("CORS: localhost and app schemes allowed, extensions refused unless OLLAMA_ORIGINS says so; Host check on loopback")
    func access() {
        let policy = AccessPolicy(extraOrigins: nil, loopbackListener: true)
        #expect(policy.allows(origin: "http://localhost:3000") && policy.allows(origin: "https://127.0.0.1"))
        #expect(policy.allows(origin: "app://x") && policy.allows(origin: "vscode-webview://abc"))
        #expect(!policy.allows(origin: "chrome-extension://abc") && !policy.allows(origin: "https://evil.example"))
        #expect(AccessPolicy(extraOrigins: "chrome-extension://*", loopbackListener: true).allows(origin: "chrome-extension://abc"))
        #expect(policy.allows(host: "localhost:11434") && policy.allows(host: "127.0.0.1:11434") && policy.allows(host: nil))
        #expect(policy.allows(host: "192.168.1.4") && policy.allows(host: "[::1]:11434") && policy.allows(host: "box.local"))
        #expect(!policy.allows(host: "evil.example.com") && !policy.allows(host: "8.8.8.8:11434"))
        #expect(AccessPolicy(extraOrigins: nil, loopbackListener: false).allows(host: "evil.example.com"))
    }

    @Test("a request body is decoded once: format and tools keep the client's key order and number text")
    func decodeOnce() throws {
        let body = #"{"model": "m", "messages": [{"role": "user", "content": "a \"}\" b"}], "format" : {"type":"object","properties":{"z":{"type":"string"},"a":{"type":"integer","maximum":1.50}}} , "tools": [{"type": "function", "function": {"name": "f", "parameters": {"b": {}, "a": {}}}}], "stream": false}"#
        let chat = try JSONValueDecoder().decode(ChatRequest.self, from: Array(body.utf8))
        #expect(chat.format?.serialized() == #"{"type":"object","properties":{"z":{"type":"string"},"a":{"type":"integer","maximum":1.50}}}"#)
        #expect(chat.tools?.serialized() == #"[{"type":"function","function":{"name":"f","parameters":{"b":{},"a":{}}}}]"#)
        #expect(chat.messages?.first?.content == "a \"}\" b")
        #expect(chat.stream == false)
    }
}
