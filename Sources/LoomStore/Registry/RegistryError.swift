// RegistryError: why a pull or push failed, worded as Ollama words it (§8.8, §8.9, §14), so a
// client that matches Ollama's messages sees the same text.


/// A failed registry operation.
public enum RegistryError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The name is not a valid model name.
    case invalidName(String)
    /// `http://` in the name without `insecure`.
    case insecureProtocol
    /// The registry has no such manifest (404).
    case manifestNotFound
    /// The registry refused the credentials (or there were none).
    case unauthorized
    /// Any other registry answer ≥ 400: its status and body.
    case status(Int, String)
    /// A blob's bytes do not hash to its digest.
    case digestMismatch(want: String, got: String)
    /// The registry sent something that is not what the protocol says.
    case protocolViolation(String)
    /// A connection or I/O failure.
    case transport(String)
    /// The local store failed.
    case store(String)
    /// Pushing a model the store does not have.
    case localModelNotFound(String)

    public var description: String {
        switch self {
        case let .invalidName(n): return "invalid model name: \(n)"
        case .insecureProtocol: return "insecure protocol http"
        case .manifestNotFound: return "file does not exist"
        case .unauthorized: return "unauthorized: access denied"
        case let .status(code, body): return "\(code): \(body)"
        case let .digestMismatch(want, got): return "digest mismatch, file must be downloaded again: want \(want), got \(got)"
        case let .protocolViolation(m): return m
        case let .transport(m): return m
        case let .store(m): return m
        case let .localModelNotFound(n): return "model '\(n)' not found"
        }
    }

    /// `self` prefixed as Ollama prefixes the manifest step's errors («pull model manifest: …»).
    func pullingManifest() -> RegistryError {
        switch self {
        case .insecureProtocol, .invalidName: return self
        default: return .protocolViolation("pull model manifest: \(description)")
        }
    }

    init(_ error: StoreError) { self = .store(error.description) }
}
