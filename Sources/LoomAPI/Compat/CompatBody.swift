// CompatBody: a /v1 request body (OpenAI or Anthropic) read field by field, with the type errors
// those APIs give («Invalid type for 'temperature': expected a number, but got a string instead.»).
// Their requests are polymorphic (content a string or an array of parts, `stop` a string or an
// array), so they are read from LoomJSON's JSONValue rather than decoded into Codable types.
// Every failure is an APIError with status 400; the responder wraps it in the API's error shape.

/// A request body's top-level object.
public struct CompatBody: Sendable {
    public let value: JSONValue

    /// Parses `bytes`; anything but a JSON object is a 400.
    public init(_ bytes: [UInt8]) throws(APIError) {
        guard !bytes.isEmpty else { throw .missingBody }
        let parsed: JSONValue
        do { parsed = try JSONValue.parse(bytes) } catch { throw .badRequest("invalid JSON body: \(error)") }
        try self.init(value: parsed)
    }

    public init(value: JSONValue) throws(APIError) {
        guard case .object = value else { throw .badRequest("the request body must be a JSON object, not \(value.typeName)") }
        self.value = value
    }

    public subscript(key: String) -> JSONValue? {
        guard let v = value[key], !v.isNull else { return nil }
        return v
    }

    static func typeError(_ key: String, _ expected: String, _ got: JSONValue) -> APIError {
        .badRequest("Invalid type for '\(key)': expected \(expected), but got \(got.typeName) instead.")
    }

    public func string(_ key: String) throws(APIError) -> String? {
        guard let v = self[key] else { return nil }
        guard let s = v.stringValue else { throw Self.typeError(key, "a string", v) }
        return s
    }

    public func double(_ key: String) throws(APIError) -> Double? {
        guard let v = self[key] else { return nil }
        guard case .number = v, let d = v.doubleValue else { throw Self.typeError(key, "a number", v) }
        return d
    }

    public func int(_ key: String) throws(APIError) -> Int? {
        guard let v = self[key] else { return nil }
        guard case .number = v, let i = v.intValue else { throw Self.typeError(key, "an integer", v) }
        return i
    }

    public func bool(_ key: String) throws(APIError) -> Bool? {
        guard let v = self[key] else { return nil }
        guard let b = v.boolValue else { throw Self.typeError(key, "a boolean", v) }
        return b
    }

    public func array(_ key: String) throws(APIError) -> [JSONValue]? {
        guard let v = self[key] else { return nil }
        guard let a = v.arrayValue else { throw Self.typeError(key, "an array", v) }
        return a
    }

    public func object(_ key: String) throws(APIError) -> CompatBody? {
        guard let v = self[key] else { return nil }
        guard case .object = v else { throw Self.typeError(key, "an object", v) }
        return try CompatBody(value: v)
    }

    /// `stop`-like fields: a string or an array of strings.
    public func strings(_ key: String) throws(APIError) -> [String]? {
        guard let v = self[key] else { return nil }
        if let s = v.stringValue { return [s] }
        guard let items = v.arrayValue else { throw Self.typeError(key, "a string or an array of strings", v) }
        var out: [String] = []
        for item in items {
            guard let s = item.stringValue else { throw .badRequest("invalid type for '\(key)' field: \(item.typeName)") }
            out.append(s)
        }
        return out
    }

    /// The required `model`.
    public func model() throws(APIError) -> String {
        guard let m = try string("model"), !m.isEmpty else { throw .badRequest("model is required") }
        return m
    }
}

extension CompatBody {
    /// A native function tool (`{"type": "function", "function": {name, description, parameters}}`)
    /// from the flat tool objects of the Responses and Anthropic APIs.
    public static func functionTool(name: String, description: String?, parameters: JSONValue?) -> JSONValue {
        var function: [JSONValue.Member] = [("name", .string(name))]
        if let description { function.append(("description", .string(description))) }
        function.append(("parameters", parameters ?? ["type": "object", "properties": [:]]))
        return ["type": "function", "function": .object(function)]
    }
}

/// Identifiers and times the compatible APIs put in their responses.
public enum CompatIDs {
    /// `prefix` + random lowercase alphanumerics.
    public static func make(_ prefix: String, length: Int = 24) -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyz0123456789")
        return prefix + String((0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count)] })
    }

    /// Seconds since 1970.
    public static func now() -> Int { Int(Timestamp.realtimeNanoseconds() / 1_000_000_000) }
}

extension JSONValue {
    /// A compact JSON serialization (tool-call `arguments` strings).
    var compactText: String { serialized() }
}
