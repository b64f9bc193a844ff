// JSONObject: a parsed JSON object plus the name of the file it came from, with typed lookups that
// throw `ConvertError.missingKey` / `.invalidValue` naming that file and key.
//
// Parsing uses JSONSerialization (fast on multi-megabyte tokenizer.json files). Its numbers are
// NSNumbers on every platform; a JSON `true` is the one whose objCType is "c", so `bool` refuses 1
// and `int` refuses true. Integers accept integral doubles ("hidden_size": 384.0 happens).

import Foundation

/// A parsed JSON object and the file it came from.
struct JSONObject: @unchecked Sendable {   // immutable Foundation values, never mutated after parsing
    /// The file name used in errors ("config.json", "1_Pooling/config.json").
    let file: String
    /// The raw values.
    let values: [String: Any]

    init(file: String, values: [String: Any]) {
        self.file = file
        self.values = values
    }

    /// Parses `data` as a JSON object.
    static func parse(_ data: Data, file: String) throws(ConvertError) -> JSONObject {
        let any: Any
        do { any = try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) } catch {
            throw .invalidJSON(file: file, reason: Self.reason(error))
        }
        guard let dict = any as? [String: Any] else {
            throw .invalidJSON(file: file, reason: "the top level is \(JSONValue.describe(any)), not an object")
        }
        return JSONObject(file: file, values: dict)
    }

    /// Reads and parses the JSON object at `path`, naming it `file` in errors.
    static func load(path: String, file: String) throws(ConvertError) -> JSONObject {
        try parse(try readFile(path), file: file)
    }

    static func reason(_ error: Error) -> String {
        let ns = error as NSError
        return (ns.userInfo[NSDebugDescriptionErrorKey] as? String) ?? ns.localizedDescription
    }

    /// True when `key` is present and not null.
    func has(_ key: String) -> Bool { values[key].map { !($0 is NSNull) } ?? false }

    /// The raw value at `key` (nil when absent or null).
    subscript(key: String) -> Any? { has(key) ? values[key] : nil }

    private func require(_ key: String) throws(ConvertError) -> Any {
        guard let v = self[key] else { throw .missingKey(file: file, key: key) }
        return v
    }

    private func bad(_ key: String, _ expected: String) -> ConvertError {
        .invalidValue(file: file, key: key, expected: expected, found: JSONValue.describe(values[key] ?? NSNull()))
    }

    /// The integer at `key`.
    func int(_ key: String) throws(ConvertError) -> Int {
        guard let i = JSONValue.int(try require(key)) else { throw bad(key, "an integer") }
        return i
    }

    /// The integer at `key`, nil when absent.
    func intIfPresent(_ key: String) throws(ConvertError) -> Int? { has(key) ? try int(key) : nil }

    /// The positive integer at `key`.
    func positiveInt(_ key: String) throws(ConvertError) -> Int {
        let i = try int(key)
        guard i > 0 else { throw bad(key, "a positive integer") }
        return i
    }

    /// The number at `key` as Double.
    func double(_ key: String) throws(ConvertError) -> Double {
        guard let d = JSONValue.double(try require(key)) else { throw bad(key, "a number") }
        return d
    }

    /// The number at `key`, nil when absent.
    func doubleIfPresent(_ key: String) throws(ConvertError) -> Double? { has(key) ? try double(key) : nil }

    /// The string at `key`.
    func string(_ key: String) throws(ConvertError) -> String {
        guard let s = try require(key) as? String else { throw bad(key, "a string") }
        return s
    }

    /// The string at `key`, nil when absent.
    func stringIfPresent(_ key: String) throws(ConvertError) -> String? { has(key) ? try string(key) : nil }

    /// The bool at `key`, nil when absent.
    func boolIfPresent(_ key: String) throws(ConvertError) -> Bool? {
        guard has(key) else { return nil }
        guard let b = JSONValue.bool(values[key] as Any) else { throw bad(key, "true or false") }
        return b
    }

    /// The object at `key`, nil when absent.
    func objectIfPresent(_ key: String) throws(ConvertError) -> JSONObject? {
        guard has(key) else { return nil }
        guard let d = values[key] as? [String: Any] else { throw bad(key, "an object") }
        return JSONObject(file: file, values: d)
    }

    /// The array at `key`, nil when absent.
    func arrayIfPresent(_ key: String) throws(ConvertError) -> [Any]? {
        guard has(key) else { return nil }
        guard let a = values[key] as? [Any] else { throw bad(key, "an array") }
        return a
    }
}

/// Typed views of raw JSONSerialization values.
enum JSONValue {
    static func isBool(_ v: Any) -> Bool {
        guard let n = v as? NSNumber else { return false }
        return String(cString: n.objCType) == "c" && (v is Bool)
    }

    static func bool(_ v: Any) -> Bool? { isBool(v) ? (v as? NSNumber)?.boolValue : nil }

    static func int(_ v: Any) -> Int? {
        guard !isBool(v), let n = v as? NSNumber else { return nil }
        if let i = v as? Int { return i }
        return Int(exactly: n.doubleValue)
    }

    static func double(_ v: Any) -> Double? {
        guard !isBool(v), let n = v as? NSNumber else { return nil }
        return n.doubleValue
    }

    /// A token's text: a string, or an object's "content" (tokenizer_config's AddedToken form).
    static func content(_ v: Any?) -> String? {
        if let s = v as? String { return s }
        if let d = v as? [String: Any] { return d["content"] as? String }
        return nil
    }

    /// A short description for error messages.
    static func describe(_ v: Any) -> String {
        if v is NSNull { return "null" }
        if let b = bool(v) { return "\(b)" }
        if let s = v as? String { return "the string \"\(s.prefix(40))\"" }
        if let n = v as? NSNumber { return "\(n)" }
        if v is [Any] { return "an array" }
        if v is [String: Any] { return "an object" }
        return "\(type(of: v))"
    }
}

/// The bytes of the file at `path`.
func readFile(_ path: String) throws(ConvertError) -> Data {
    do { return try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
        throw .cannotRead(path: path, reason: JSONObject.reason(error))
    }
}
