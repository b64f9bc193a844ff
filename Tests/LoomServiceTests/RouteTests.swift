// LoomServer's routes over a real loopback listener (TestServer) in front of a LoomService with a
// temp store holding the tiny model: root and version (GET and HEAD), unknown paths (404 text) and
// wrong methods (405 text), JSON error bodies with the error's status (bad JSON, empty body, unknown
// model, validation), NDJSON streaming (content type, every line parses, exactly one done line and
// it is last), stream:false (one JSON object equal to the streamed concatenation), load requests,
// /api/ps, /api/tags, /api/show, /api/embed, copy/delete, and CORS (allowed origin echoed,
// extension origin 403 with an empty body).

import Foundation
import LoomAPI
import LoomService
import Testing

@Suite("routes over HTTP")
struct RouteTests {
    typealias F = Fixtures

    /// A server over a store service holding `tiny:latest`.
    static func withServer<T>(_ body: (TestServer) async throws -> T) async throws -> T {
        let (service, _) = try await F.storeService()
        return try await TestServer.with(service: service, models: service, body)
    }

    @Test("GET and HEAD / and /api/version")
    func rootAndVersion() async throws {
        try await Self.withServer { server in
            let root = try await server.request("GET", "/")
            #expect(root.status == 200 && root.text == "Ollama is running")
            #expect(root.header("Content-Type") == "text/plain; charset=utf-8")
            let head = try await server.request("HEAD", "/")
            #expect(head.status == 200 && head.body.isEmpty)
            let version = try await server.request("GET", "/api/version")
            #expect(version.status == 200 && version.json?["version"] as? String == "0.1.0")
            #expect(version.header("Content-Type") == "application/json; charset=utf-8")
            #expect(try await server.request("HEAD", "/api/version").status == 200)
        }
    }

    @Test("unknown path → 404 text; known path, wrong method → 405 text", arguments: [
        ("GET", "/api/nope", 404, "404 page not found"), ("GET", "/api/generate", 405, "405 method not allowed"),
        ("GET", "/api/chat", 405, "405 method not allowed"), ("GET", "/api/show", 405, "405 method not allowed"),
        ("POST", "/api/ps", 405, "405 method not allowed"), ("POST", "/api/delete", 405, "405 method not allowed"),
    ])
    func routingErrors(method: String, path: String, status: Int, text: String) async throws {
        try await Self.withServer { server in
            let reply = try await server.request(method, path, body: method == "POST" ? "{}" : nil)
            #expect(reply.status == status && reply.text == text)
            #expect(reply.header("Content-Type")?.hasPrefix("text/plain") == true)
        }
    }

    @Test("JSON errors: {\"error\": …} with the error's status", arguments: [
        ("/api/generate", "{bad json", 400, nil),
        ("/api/generate", "", 400, "missing request body"),
        ("/api/generate", "null", 404, "model '' not found"),
        ("/api/generate", #"{"model": "nope", "prompt": "hi"}"#, 404, "model 'nope' not found"),
        ("/api/generate", #"{"model": "tiny", "prompt": "hi", "top_logprobs": 21}"#, 400, "top_logprobs must be between 0 and 20"),
        ("/api/generate", #"{"model": "tiny", "keep_alive": "-1"}"#, 400, "time: missing unit in duration \"-1\""),
        ("/api/generate", #"{"model": "tiny", "prompt": 5}"#, 400, nil),
        ("/api/chat", #"{"model": ""}"#, 400, "model is required"),
        ("/api/chat", #"{"model": "nope", "messages": [{"role": "user", "content": "x"}]}"#, 404, "model 'nope' not found"),
        ("/api/embed", #"{"model": "tiny", "input": [1, 2]}"#, 400, "invalid input type"),
        ("/api/embed", #"{"model": "nope", "input": "x"}"#, 404, "model \"nope\" not found, try pulling it first"),
        ("/api/show", #"{"model": "nope"}"#, 404, nil),
        ("/api/copy", #"{"source": "nope", "destination": "x"}"#, 404, "model \"nope\" not found"),
    ])
    func jsonErrors(path: String, body: String, status: Int, message: String?) async throws {
        try await Self.withServer { server in
            let reply = try await server.request("POST", path, body: body)
            #expect(reply.status == status)
            #expect(reply.header("Content-Type") == "application/json; charset=utf-8")
            let error = try #require(reply.json?["error"] as? String, "\(reply.text)")
            #expect(!error.isEmpty)
            if let message { #expect(error == message) }
        }
    }

    @Test("generate streams NDJSON: every line parses, one done line, last; stream:false equals the concatenation")
    func generateStreaming() async throws {
        try await Self.withServer { server in
            let body = #"{"model": "tiny", "prompt": "Once upon a time", "keep_alive": 0, "options": {"num_predict": 6, "temperature": 0, "seed": 1}}"#
            let streamed = try await server.request("POST", "/api/generate", body: body)
            #expect(streamed.status == 200)
            #expect(streamed.header("Content-Type") == "application/x-ndjson")
            let lines = streamed.lines
            #expect(lines.count >= 2 && lines.allSatisfy { $0 != nil })
            let objects = lines.compactMap { $0 }
            #expect(objects.filter { $0["done"] as? Bool == true }.count == 1)
            let last = try #require(objects.last)
            #expect(last["done"] as? Bool == true && last["done_reason"] as? String == "length")
            #expect(last["eval_count"] as? Int == 6 && (last["context"] as? [Int])?.isEmpty == false)
            #expect(last["total_duration"] is Int && last["prompt_eval_count"] is Int)
            #expect(objects.dropLast().allSatisfy { $0["eval_count"] == nil && $0["model"] as? String == "tiny" && $0["created_at"] is String })
            let text = objects.compactMap { $0["response"] as? String }.joined()
            // keep_alive 0 unloaded it, so the non-streamed run starts from a fresh load too.
            var gone = false
            for _ in 0..<600 where !gone {
                gone = (try await server.request("GET", "/api/ps").json?["models"] as? [Any])?.isEmpty == true
                if !gone { try await Task.sleep(nanoseconds: 50_000_000) }
            }
            let single = try await server.request("POST", "/api/generate", body: body.replacingOccurrences(of: "{\"model\"", with: "{\"stream\": false, \"model\""))
            #expect(single.status == 200 && single.header("Content-Type") == "application/json; charset=utf-8")
            let object = try #require(single.json)
            #expect(object["response"] as? String == text)
            #expect(object["done"] as? Bool == true && object["eval_count"] as? Int == 6)
            #expect(!single.text.hasSuffix("\n"))
        }
    }

    @Test("chat streams NDJSON assistant messages; stream:false is one object; load requests are one object")
    func chatStreaming() async throws {
        try await Self.withServer { server in
            let body = #"{"model": "tiny", "messages": [{"role": "USER", "content": "hi"}], "options": {"num_predict": 4}}"#
            let streamed = try await server.request("POST", "/api/chat", body: body)
            #expect(streamed.status == 200 && streamed.header("Content-Type") == "application/x-ndjson")
            let objects = streamed.lines.compactMap { $0 }
            #expect(objects.count == streamed.lines.count)
            #expect(objects.allSatisfy { ($0["message"] as? [String: Any])?["role"] as? String == "assistant" })
            #expect(objects.last?["done"] as? Bool == true && objects.last?["context"] == nil)
            let single = try await server.request("POST", "/api/chat", body: #"{"stream": false, "model": "tiny", "messages": [{"role": "user", "content": "hi"}], "options": {"num_predict": 3}}"#)
            #expect(single.json?["done"] as? Bool == true && single.json?["eval_count"] as? Int == 3)
            let load = try await server.request("POST", "/api/chat", body: #"{"model": "tiny", "messages": []}"#)
            #expect(load.status == 200)
            #expect(load.lines.count == 1 && load.lines.first??["done_reason"] as? String == "load")
            let unload = try await server.request("POST", "/api/generate", body: #"{"model": "tiny", "keep_alive": "0s"}"#)
            #expect(unload.lines.first??["done_reason"] as? String == "unload")
        }
    }

    @Test("/api/ps lists the loaded model; /api/tags the stored one; /api/show and /api/embed answer")
    func listings() async throws {
        try await Self.withServer { server in
            let empty = try await server.request("GET", "/api/ps")
            #expect(empty.status == 200 && empty.text == #"{"models":[]}"#)
            _ = try await server.request("POST", "/api/generate", body: #"{"model": "tiny", "keep_alive": -1}"#)
            let ps = try #require(try await server.request("GET", "/api/ps").json?["models"] as? [[String: Any]])
            #expect(ps.count == 1 && ps.first?["name"] as? String == "tiny:latest" && ps.first?["context_length"] as? Int == 256)
            #expect((ps.first?["digest"] as? String)?.count == 64 && ps.first?["size_vram"] as? Int == 0)
            let tags = try #require(try await server.request("GET", "/api/tags").json?["models"] as? [[String: Any]])
            #expect(tags.map { $0["name"] as? String } == ["tiny:latest"])
            #expect(try await server.request("HEAD", "/api/tags").status == 200)
            let show = try await server.request("POST", "/api/show", body: #"{"model": "tiny"}"#)
            #expect(show.status == 200 && show.json?["capabilities"] as? [String] == ["completion"])
            #expect(show.json?["model_info"] is [String: Any])
            let embed = try await server.request("POST", "/api/embed", body: #"{"model": "tiny", "input": ["a", "b"]}"#)
            #expect((embed.json?["embeddings"] as? [[Double]])?.count == 2)
        }
    }

    @Test("copy and delete answer 200 with an empty body; delete again is 404")
    func copyDelete() async throws {
        try await Self.withServer { server in
            let copy = try await server.request("POST", "/api/copy", body: #"{"source": "tiny", "destination": "tiny-backup"}"#)
            #expect(copy.status == 200 && copy.body.isEmpty)
            let delete = try await server.request("DELETE", "/api/delete", body: #"{"model": "tiny-backup"}"#)
            #expect(delete.status == 200 && delete.body.isEmpty)
            let again = try await server.request("DELETE", "/api/delete", body: #"{"model": "tiny-backup"}"#)
            #expect(again.status == 404 && again.json?["error"] as? String == "model 'tiny-backup:latest' not found")
        }
    }

    @Test("CORS: an allowed origin is echoed; a browser-extension origin gets 403 with an empty body")
    func cors() async throws {
        try await Self.withServer { server in
            let allowed = try await server.request("GET", "/api/version", headers: ["Origin": "http://localhost:3000"])
            #expect(allowed.status == 200 && allowed.header("Access-Control-Allow-Origin") == "http://localhost:3000")
            let denied = try await server.request("GET", "/api/version", headers: ["Origin": "chrome-extension://abc"])
            #expect(denied.status == 403 && denied.body.isEmpty)
            let preflight = try await server.request("OPTIONS", "/api/chat", headers: ["Origin": "http://localhost:3000"])
            #expect(preflight.status == 204)
        }
    }

    @Test("a server without a store: management routes are 404 text, generation still works")
    func withoutStore() async throws {
        let service = try F.service()
        try await TestServer.with(service: service) { server in
            let tags = try await server.request("GET", "/api/tags")
            #expect(tags.status == 404 && tags.text == "404 page not found")
            let generate = try await server.request("POST", "/api/generate", body: #"{"model": "tiny", "prompt": "x", "stream": false, "options": {"num_predict": 1}}"#)
            #expect(generate.status == 200 && generate.json?["done"] as? Bool == true)
        }
    }
}
