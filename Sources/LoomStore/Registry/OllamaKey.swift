// OllamaKey: the ed25519 identity Ollama signs registry token requests with (§14), so Loom can pull
// from and push to registries that authenticate by key (registry.ollama.ai / ollama.com) with the
// same key as an Ollama install: `$LOOM_REGISTRY_KEY`, else `~/.ollama/id_ed25519` (an unencrypted
// OpenSSH private key; Ollama creates one at first start, `ssh-keygen -t ed25519 -N ""` makes one).
// Loom never creates it. A token request is signed as Ollama's auth.Sign does:
//   Authorization: <base64 of the ssh-ed25519 public key blob>:<base64 signature>
//   over "GET,<token URL>,<base64(hex(sha256 of the empty body))>".

import Crypto
import Foundation

/// An ed25519 key read from an OpenSSH private key file.
public struct OllamaKey: Sendable {
    /// The 32-byte ed25519 seed (the key type itself is not Sendable).
    let seed: Data
    var key: Curve25519.Signing.PrivateKey {
        // Any 32 bytes are a valid seed; `init` checked these.
        (try? Curve25519.Signing.PrivateKey(rawRepresentation: seed)) ?? Curve25519.Signing.PrivateKey()
    }

    /// The key file the environment names; nil when it is missing or not an unencrypted ed25519 key.
    public static func load(environment: [String: String] = ProcessInfo.processInfo.environment) -> OllamaKey? {
        let path = environment["LOOM_REGISTRY_KEY"].flatMap { $0.isEmpty ? nil : $0 } ?? (NSHomeDirectory() + "/.ollama/id_ed25519")
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        return try? OllamaKey(openSSH: String(decoding: data, as: UTF8.self))
    }

    /// Parses `-----BEGIN OPENSSH PRIVATE KEY-----` text (cipher "none", one ssh-ed25519 key).
    public init(openSSH text: String) throws(RegistryError) {
        let body = text.split(whereSeparator: \.isNewline).filter { !$0.hasPrefix("-----") }.joined()
        guard let raw = Data(base64Encoded: body) else { throw .protocolViolation("key: not base64") }
        var reader = Reader(bytes: [UInt8](raw))
        let magic = Array("openssh-key-v1\u{0}".utf8)
        guard reader.take(magic.count) == magic else { throw .protocolViolation("key: not an OpenSSH private key") }
        guard try reader.string() == Array("none".utf8), try reader.string() == Array("none".utf8) else {
            throw .protocolViolation("key: encrypted keys are not supported")
        }
        _ = try reader.string()                          // kdf options
        guard try reader.uint32() == 1 else { throw .protocolViolation("key: expected one key") }
        _ = try reader.string()                          // public key blob
        var secret = Reader(bytes: try reader.string())
        guard try secret.uint32() == secret.uint32() else { throw .protocolViolation("key: check bytes differ") }
        guard try secret.string() == Array("ssh-ed25519".utf8) else { throw .protocolViolation("key: not ssh-ed25519") }
        _ = try secret.string()                          // public key (32)
        let pair = try secret.string()                   // seed (32) + public key (32)
        guard pair.count == 64 else { throw .protocolViolation("key: bad ed25519 key length") }
        do { _ = try Curve25519.Signing.PrivateKey(rawRepresentation: pair[0..<32]) } catch {
            throw .protocolViolation("key: \(error)")
        }
        seed = Data(pair[0..<32])
    }

    /// base64 of the public key's SSH wire form (the middle field of its authorized_keys line).
    public var publicKey: String {
        func string(_ b: [UInt8]) -> [UInt8] { withUnsafeBytes(of: UInt32(b.count).bigEndian) { Array($0) } + b }
        return Data(string(Array("ssh-ed25519".utf8)) + string([UInt8](key.publicKey.rawRepresentation))).base64EncodedString()
    }

    /// The Authorization value for `GET url` with an empty body.
    public func authorization(get url: String) throws(RegistryError) -> String {
        let emptyHash = SHA256.hash(data: Data()).map { String(format: "%02x", $0) }.joined()
        let message = "GET,\(url),\(Data(emptyHash.utf8).base64EncodedString())"
        do {
            return publicKey + ":" + (try key.signature(for: Data(message.utf8))).base64EncodedString()
        } catch { throw .protocolViolation("cannot sign: \(error)") }
    }

    /// Big-endian SSH wire reading.
    struct Reader {
        let bytes: [UInt8]
        var at = 0

        mutating func take(_ n: Int) -> [UInt8]? {
            guard n >= 0, at + n <= bytes.count else { return nil }
            defer { at += n }
            return Array(bytes[at..<(at + n)])
        }

        mutating func uint32() throws(RegistryError) -> UInt32 {
            guard let b = take(4) else { throw .protocolViolation("key: truncated") }
            return b.reduce(0) { $0 << 8 | UInt32($1) }
        }

        mutating func string() throws(RegistryError) -> [UInt8] {
            let n = Int(try uint32())
            guard let b = take(n) else { throw .protocolViolation("key: truncated") }
            return b
        }
    }
}
