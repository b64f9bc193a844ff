// The registry client's pieces that need no server: WWW-Authenticate parsing, Docker-style
// credentials, names → URLs (schemes, insecure), part plans, and the partial-download state a
// resume reads back (including a torn or foreign state file, which must restart, not resume).
// The protocol itself runs against a real registry in Tests/Integration/test_registry.py.

import Foundation
@testable import LoomStore
import Testing

@Suite struct ChallengeTests {
    @Test func bearer() throws {
        let c = try #require(Challenge(#"Bearer realm="https://auth.example/token",service="registry.example",scope="repository:ns/m:pull,push""#))
        #expect(c.scheme == "bearer")
        #expect(c.realm == "https://auth.example/token")
        #expect(c.service == "registry.example")
        #expect(c.scope == "repository:ns/m:pull,push")
    }

    @Test func basicAndEscapes() throws {
        let c = try #require(Challenge(#"Basic realm="Loom \"test\" realm""#))
        #expect(c.scheme == "basic")
        #expect(c.realm == #"Loom "test" realm"#)
        let bare = try #require(Challenge("Bearer realm=https://a/b, service=x"))
        #expect(bare.realm == "https://a/b" && bare.service == "x")
        #expect(Challenge("") == nil)
    }
}

@Suite struct CredentialsTests {
    @Test func dockerConfig() {
        let json = #"{"auths": {"127.0.0.1:5000": {"auth": "bG9vbTpzM2NyZXQ6eA=="}, "https://Registry.Example/v1/": {"username": "u", "password": "p"}, "bad": {"auth": "!!"}}}"#
        let c = Credentials.parse(Data(json.utf8))
        #expect(c.login(for: "127.0.0.1:5000") == .init(user: "loom", password: "s3cret:x"))
        #expect(c.login(for: "registry.example") == .init(user: "u", password: "p"))
        #expect(c.login(for: "bad") == nil)
        #expect(c.login(for: "127.0.0.1:5001") == nil)
        #expect(Credentials.Login(user: "loom", password: "s3cret").basicHeader == "Basic bG9vbTpzM2NyZXQ=")
    }

    @Test func fileFromEnvironment() throws {
        let path = NSTemporaryDirectory() + "loom-auth-\(UUID().uuidString).json"
        try Data(#"{"auths":{"h:1":{"username":"a","password":"b"}}}"#.utf8).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        #expect(Credentials.load(environment: ["LOOM_REGISTRY_AUTH": path]).login(for: "h:1") == .init(user: "a", password: "b"))
        #expect(Credentials.load(environment: ["LOOM_REGISTRY_AUTH": path + ".missing"]).entries.isEmpty)
    }
}

@Suite struct ReferenceTests {
    @Test func urls() throws {
        let r = try RegistryReference("llama3.2", insecure: false)
        #expect(r.manifestURL == "https://registry.ollama.ai/v2/library/llama3.2/manifests/latest")
        let local = try RegistryReference("127.0.0.1:5000/ns/m:t", insecure: true)
        #expect(local.base == "http://127.0.0.1:5000")
        #expect(local.blobURL("sha256:ab") == "http://127.0.0.1:5000/v2/ns/m/blobs/sha256:ab")
        #expect(local.uploadsURL == "http://127.0.0.1:5000/v2/ns/m/blobs/uploads/")
        #expect(local.resolve("/v2/ns/m/blobs/uploads/x?y=1") == "http://127.0.0.1:5000/v2/ns/m/blobs/uploads/x?y=1")
        #expect(local.resolve("http://other/x") == "http://other/x")
    }

    @Test func schemes() throws {
        #expect(throws: RegistryError.insecureProtocol) { try RegistryReference("http://h:1/ns/m:t", insecure: false) }
        #expect(try RegistryReference("http://h:1/ns/m:t", insecure: true).scheme == "http")
        #expect(throws: RegistryError.invalidName("a/b/c/d")) { try RegistryReference("a/b/c/d", insecure: false) }
        #expect(throws: RegistryError.invalidName("ftp://h/m")) { try RegistryReference("ftp://h/m", insecure: false) }
        #expect(RegistryError.digestMismatch(want: "sha256:a", got: "sha256:b").description
            == "digest mismatch, file must be downloaded again: want sha256:a, got sha256:b")
        #expect(RegistryError.manifestNotFound.pullingManifest().description == "pull model manifest: file does not exist")
    }
}

@Suite struct PartialDownloadTests {
    @Test func plans() {
        #expect(PartPlan(size: 0).count == 0)
        #expect(PartPlan(size: 151).count == 1)
        let p = PartPlan(size: 98_362_432)
        #expect(p.partSize == 32 << 20 && p.count == 3)
        #expect(p.range(2) == (64 << 20)..<98_362_432)
        let big = PartPlan(size: 10_000_000_000)
        #expect(big.count == 16)
        #expect((0..<big.count).map { big.range($0).count }.reduce(0, +) == 10_000_000_000)
    }

    func store() -> ModelStore { ModelStore(root: NSTemporaryDirectory() + "loom-partial-\(UUID().uuidString)") }

    @Test func resumesWhatWasRecorded() throws {
        let s = store()
        defer { try? FileManager.default.removeItem(atPath: s.root) }
        let digest = "sha256:" + String(repeating: "ab", count: 32)
        let plan = PartPlan(size: 1000, partSize: 400)
        do {
            let p = try PartialDownload(store: s, digest: digest, plan: plan)
            let bytes = [UInt8](repeating: 7, count: 300)
            try bytes.withUnsafeBytes { try p.write($0, at: 400) }
            try p.record(1, 300)
            try bytes.withUnsafeBytes { try p.write(UnsafeRawBufferPointer(rebasing: $0[0..<400]), at: 0) }
            try p.record(0, 400)
            #expect(p.contiguous == 700)
            #expect(p.completed == 700)
        }
        do {
            let again = try PartialDownload(store: s, digest: digest, plan: plan)
            #expect(again.doneBytes(0) == 400 && again.doneBytes(1) == 300 && again.doneBytes(2) == 0)
        }
        // A different plan (another part size) cannot reuse the counters: it starts over.
        let other = try PartialDownload(store: s, digest: digest, plan: PartPlan(size: 1000, partSize: 500))
        #expect(other.completed == 0)
    }

    @Test func tornStateStartsOver() throws {
        let s = store()
        defer { try? FileManager.default.removeItem(atPath: s.root) }
        let digest = "sha256:" + String(repeating: "cd", count: 32)
        let plan = PartPlan(size: 1000, partSize: 400)
        _ = try PartialDownload(store: s, digest: digest, plan: plan)
        let parts = s.root + "/partial/sha256-" + String(repeating: "cd", count: 32) + ".parts"
        // A counter larger than its part (a foreign or corrupt file) is not believed.
        let h = try #require(FileHandle(forWritingAtPath: parts))
        try h.seek(toOffset: 24)
        try h.write(contentsOf: PartialDownload.le(401))
        try h.close()
        #expect(try PartialDownload(store: s, digest: digest, plan: plan).completed == 0)
        // Nothing of it is in blobs/.
        #expect(!s.hasBlob(digest))
    }

    @Test func secondOpenerIsRefused() throws {
        let s = store()
        defer { try? FileManager.default.removeItem(atPath: s.root) }
        let digest = "sha256:" + String(repeating: "ef", count: 32)
        let first = try PartialDownload(store: s, digest: digest, plan: PartPlan(size: 10))
        #expect(throws: RegistryError.self) { try PartialDownload(store: s, digest: digest, plan: PartPlan(size: 10)) }
        _ = first
    }
}

/// Ollama's key signing against Python `cryptography` (an independent OpenSSH encoder and ed25519):
/// the key below is `Ed25519PrivateKey.from_private_bytes(bytes(range(32)))` written in OpenSSH
/// form, and the expected public key and signature are what `cryptography` gives for it (ed25519
/// signatures are deterministic). A test key, used nowhere else.
@Suite struct OllamaKeyTests {
    static let key = """
    -----BEGIN OPENSSH PRIVATE KEY-----
    b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtz
    c2gtZWQyNTUxOQAAACADoQe/884Qvh1w3RjnS8CZZ+TWMJulDV8d3IZkElUxuAAA
    AIipUvLMqVLyzAAAAAtzc2gtZWQyNTUxOQAAACADoQe/884Qvh1w3RjnS8CZZ+TW
    MJulDV8d3IZkElUxuAAAAEAAAQIDBAUGBwgJCgsMDQ4PEBESExQVFhcYGRobHB0e
    HwOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4AAAAAAECAwQF
    -----END OPENSSH PRIVATE KEY-----
    """

    @Test func signsAsOllama() throws {
        let key = try OllamaKey(openSSH: Self.key)
        #expect(key.publicKey == "AAAAC3NzaC1lZDI1NTE5AAAAIAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4")
        let url = "http://127.0.0.1:5000/token?service=s&scope=repository:a/b:pull&ts=1&nonce=n"
        #expect(try key.authorization(get: url) == "AAAAC3NzaC1lZDI1NTE5AAAAIAOhB7/zzhC+HXDdGOdLwJln5NYwm6UNXx3chmQSVTG4:"
            + "T/3UAtOhY9eaKehoXkVSsS7mU+dIQhFn9E/es9Mbi8c3g9poXwee59oz4SQWGjDXvcBA5dOy8OGycK/yTAxtCQ==")
    }

    @Test func refusesWhatItCannotUse() {
        #expect(throws: RegistryError.self) { try OllamaKey(openSSH: "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----") }
        #expect(throws: RegistryError.self) { try OllamaKey(openSSH: String(Self.key.dropLast(40))) }
        #expect(OllamaKey.load(environment: ["LOOM_REGISTRY_KEY": "/nonexistent/id_ed25519"]) == nil)
    }
}
