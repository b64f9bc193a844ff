// LoomServer's blob, create and shutdown behaviour over a real loopback listener (TestServer):
// HEAD/POST /api/blobs/:digest (404 → 201 → 200, mismatch 400, malformed digest 400), /api/create
// from an uploaded GGUF (NDJSON progress ending in "success", the model then listed and usable) and
// with stream:false (one {"status":"success"}), the legacy /api/embeddings route, a client that
// disconnects mid-stream (its generation stops, so the model goes idle and unloads), and a graceful
// shutdown in the middle of a stream (the reply ends with the «server shutting down» error: as a
// final NDJSON line when bytes were already written, else as a 503 JSON error).

import Foundation
import LoomAPI
import LoomService
import LoomStore
import Testing

@Suite("routes over HTTP: blobs, create, shutdown")
struct RouteManagementTests {
    typealias F = Fixtures

    @Test("blobs: HEAD 404, POST 201, HEAD 200, POST again 200; wrong bytes 400; bad digest 400")
    func blobs() async throws {
        let (service, _) = try await F.storeService(importing: [])
        try await TestServer.with(service: service, models: service) { server in
            let bytes = try Data(contentsOf: URL(fileURLWithPath: try F.models() + "/tiny.gguf"))
            let digest = "sha256:" + SHA256Hex.of(bytes)
            #expect(try await server.request("HEAD", "/api/blobs/\(digest)").status == 404)
            #expect(try await server.request("POST", "/api/blobs/\(digest)", data: bytes).status == 201)
            #expect(try await server.request("HEAD", "/api/blobs/\(digest)").status == 200)
            #expect(try await server.request("POST", "/api/blobs/\(digest)", data: bytes).status == 200)
            let other = "sha256:" + String(repeating: "0", count: 64)
            let mismatch = try await server.request("POST", "/api/blobs/\(other)", data: Data("not the bytes".utf8))
            #expect(mismatch.status == 400 && (mismatch.json?["error"] as? String)?.hasPrefix("digest mismatch") == true)
            #expect(try await server.request("HEAD", "/api/blobs/\(other)").status == 404)
            let bad = try await server.request("POST", "/api/blobs/sha256:xyz", data: Data("x".utf8))
            #expect(bad.status == 400 && bad.json?["error"] as? String == "invalid digest format")
        }
    }

    /// Found by schemathesis (Scripts/fuzz_api.py): clients percent-encode the ':' of a path
    /// parameter, and the routes looked the encoded text up (404 for a model that exists).
    @Test("percent-encoded path parameters: /api/blobs/sha256%3A…, /v1/models/tiny%3Alatest")
    func percentEncodedPaths() async throws {
        let (service, _) = try await F.storeService()
        try await TestServer.with(service: service, models: service) { server in
            let bytes = Data("a blob".utf8)
            let encoded = "sha256%3A" + SHA256Hex.of(bytes)
            #expect(try await server.request("HEAD", "/api/blobs/\(encoded)").status == 404)
            #expect(try await server.request("POST", "/api/blobs/\(encoded)", data: bytes).status == 201)
            #expect(try await server.request("HEAD", "/api/blobs/\(encoded)").status == 200)
            let model = try await server.request("GET", "/v1/models/tiny%3Alatest")
            #expect(model.status == 200 && model.json?["id"] as? String == "tiny:latest")
            #expect(try await server.request("GET", "/v1/models/tiny%3Anope").status == 404)
        }
    }

    @Test("create from an uploaded GGUF streams progress to success; the model is listed and generates")
    func createFromUpload() async throws {
        let (service, _) = try await F.storeService(importing: [])
        try await TestServer.with(service: service, models: service) { server in
            let bytes = try Data(contentsOf: URL(fileURLWithPath: try F.models() + "/tiny.gguf"))
            let digest = "sha256:" + SHA256Hex.of(bytes)
            #expect(try await server.request("POST", "/api/blobs/\(digest)", data: bytes).status == 201)
            let create = try await server.request("POST", "/api/create", body: #"{"model": "uploaded", "files": {"tiny.gguf": "\#(digest)"}}"#)
            #expect(create.status == 200 && create.header("Content-Type") == "application/x-ndjson")
            let statuses = create.lines.map { $0?["status"] as? String }
            #expect(statuses.contains("parsing GGUF") && statuses.last == "success", "\(statuses)")
            let tags = try #require(try await server.request("GET", "/api/tags").json?["models"] as? [[String: Any]])
            #expect(tags.map { $0["name"] as? String } == ["uploaded:latest"])
            let single = try await server.request("POST", "/api/create",
                                                  body: #"{"model": "uploaded-brief", "from": "uploaded", "system": "Be brief.", "stream": false}"#)
            #expect(single.status == 200 && single.text == #"{"status":"success"}"#)
            let missing = try await server.request("POST", "/api/create", body: #"{"model": "x"}"#)
            #expect(missing.status == 400 && missing.json?["error"] as? String == "neither 'from' or 'files' was specified")
            let generated = try await server.request("POST", "/api/generate",
                                                     body: #"{"model": "uploaded-brief", "prompt": "hi", "stream": false, "options": {"num_predict": 2}}"#)
            #expect(generated.status == 200 && generated.json?["eval_count"] as? Int == 2)
        }
    }

    @Test("legacy /api/embeddings answers one vector")
    func legacyEmbeddings() async throws {
        let service = try F.service()
        try await TestServer.with(service: service) { server in
            let reply = try await server.request("POST", "/api/embeddings", body: #"{"model": "tiny", "prompt": "a cat"}"#)
            #expect(reply.status == 200 && (reply.json?["embedding"] as? [Double])?.count == 64)
        }
    }

    @Test("a client that disconnects mid-stream stops its generation and frees the model")
    func clientDisconnect() async throws {
        let service = try F.service()
        try await TestServer.with(service: service) { server in
            // Ten million tokens: only a cancelled generation ends within the wait below.
            let body = #"{"model": "tiny", "prompt": "go on", "keep_alive": "100ms", "options": {"num_predict": 10000000, "temperature": 1}}"#
            let task = try #require(server.startPost("/api/generate", body: body))
            for _ in 0..<600 where await service.ps().models.isEmpty { try await Task.sleep(nanoseconds: 50_000_000) }
            #expect(await service.ps().models.count == 1)
            try await Task.sleep(nanoseconds: 200_000_000)   // let some lines be written first
            task.cancel()
            var unloaded = false
            for _ in 0..<600 where !unloaded {
                unloaded = await service.ps().models.isEmpty
                if !unloaded { try await Task.sleep(nanoseconds: 50_000_000) }
            }
            #expect(unloaded, "the generation went on after the client left (the model stayed busy)")
            #expect(server.log.all.contains { $0.hasPrefix("POST /api/generate 200 (client gone)") }, "\(server.log.all)")
        }
    }

    @Test("shutdown during a stream ends it with «server shutting down»; later requests are refused")
    func shutdownMidStream() async throws {
        let service = try F.service()
        try await TestServer.with(service: service) { server in
            let body = #"{"model": "tiny", "prompt": "go on", "options": {"num_predict": 100000000, "temperature": 1}}"#
            let pending = Task { try await server.request("POST", "/api/generate", body: body) }
            // Wait until the model is loaded (the request holds it), then shut the generations down.
            for _ in 0..<600 where await service.ps().models.isEmpty { try await Task.sleep(nanoseconds: 50_000_000) }
            try await Task.sleep(nanoseconds: 100_000_000)
            service.shutdown()
            let reply = try await pending.value
            if reply.status == 200 {
                let last = try #require(reply.lines.last ?? nil)
                #expect(last["error"] as? String == "server shutting down")
                #expect(reply.lines.dropLast().allSatisfy { $0?["done"] as? Bool == false })
            } else {
                #expect(reply.status == 503 && reply.json?["error"] as? String == "server shutting down")
            }
            let after = try await server.request("POST", "/api/generate", body: #"{"model": "tiny", "prompt": "x", "options": {"num_predict": 1}}"#)
            #expect(after.status == 503 && after.json?["error"] as? String == "server shutting down")
        }
    }
}
