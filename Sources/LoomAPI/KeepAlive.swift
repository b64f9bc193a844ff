// keep_alive (Ollama §4.1): how long a model stays loaded after a request.
//   JSON number  seconds (fractions allowed); negative = forever
//   JSON string  a Go duration ("5m", "1h30m", "300ms", "-1m", "0"); negative = forever; a unit-less
//                string other than "0" is an error: «time: missing unit in duration "-1"»
//   other types  error «Unsupported type: '…'»

/// A keep-alive duration.
public enum KeepAlive: Sendable, Equatable, Codable {
    /// Unload when idle for this many nanoseconds (0 = unload right after the request).
    case nanoseconds(Int64)
    /// Never unload.
    case forever

    /// Ollama's default (5 minutes).
    public static let defaultValue = KeepAlive.nanoseconds(5 * 60 * 1_000_000_000)

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        if let seconds = try? c.decode(Double.self) {
            self = Self(seconds: seconds)
        } else if let text = try? c.decode(String.self) {
            do { self = try Self.parse(text) } catch {
                throw DecodingError.dataCorruptedError(in: c, debugDescription: error.message)
            }
        } else {
            throw DecodingError.dataCorruptedError(in: c, debugDescription: "Unsupported type: '\(Self.typeName(c))'")
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        switch self {
        case .forever: try c.encode(-1)
        case let .nanoseconds(ns): try c.encode("\(Double(ns) / 1e9)s")
        }
    }

    /// From a number of seconds.
    public init(seconds: Double) {
        if seconds < 0 { self = .forever; return }
        let ns = seconds * 1e9
        self = ns >= Double(Int64.max) ? .forever : .nanoseconds(Int64(ns))
    }

    /// Parses a Go duration string (`time.ParseDuration`'s grammar: [-+]? (number unit)+, units
    /// ns us µs ms s m h, or "0").
    public static func parse(_ text: String) throws(APIError) -> KeepAlive {
        var s = Substring(text)
        var negative = false
        if s.first == "-" || s.first == "+" { negative = s.first == "-"; s = s.dropFirst() }
        if s == "0" { return .nanoseconds(0) }
        guard !s.isEmpty else { throw .badRequest("time: invalid duration \"\(text)\"") }
        var total = 0.0
        while !s.isEmpty {
            let number = s.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { throw .badRequest("time: invalid duration \"\(text)\"") }
            s = s.dropFirst(number.count)
            let unit = s.prefix { !($0.isNumber || $0 == ".") }
            guard !unit.isEmpty else { throw .badRequest("time: missing unit in duration \"\(text)\"") }
            s = s.dropFirst(unit.count)
            let scale: Double
            switch unit {
            case "ns": scale = 1
            case "us", "µs", "μs": scale = 1e3
            case "ms": scale = 1e6
            case "s": scale = 1e9
            case "m": scale = 60e9
            case "h": scale = 3600e9
            default: throw .badRequest("time: unknown unit \"\(unit)\" in duration \"\(text)\"")
            }
            total += value * scale
        }
        if negative && total > 0 { return .forever }
        return total >= Double(Int64.max) ? .forever : .nanoseconds(Int64(total))
    }

    static func typeName(_ c: any SingleValueDecodingContainer) -> String {
        if c.decodeNil() { return "<nil>" }
        if (try? c.decode(Bool.self)) != nil { return "bool" }
        if (try? c.decode([JSONValue].self)) != nil { return "[]interface {}" }
        return "map[string]interface {}"
    }
}
