// JSONObject: a parsed JSON object plus the name of the file it came from, with typed lookups that
// throw `ConvertError.missingKey` / `.invalidValue` naming that file and key.
//
// Parsing is LoomJSON's (strict RFC 8259; members in file order; keys compared by code point, so
// two vocabulary tokens that differ only in Unicode normalization stay two tokens). `bool` refuses
// 1 and `int` refuses true; integers accept integral numbers ("hidden_size": 384.0 happens).

import Foundation
import LoomJSON

/// A parsed JSON object and the file it came from.
struct JSONObject: Sendable {
    /// The file name used in errors ("config.json", "1_Pooling/config.json").
    let file: String
    /// The members, in file order.
    let members: [JSONValue.Member]

    init(file: String, members: [JSONValue.Member]) {
        self.file = file
        self.members = members
    }

    /// Parses `data` as a JSON object.
    static func parse(_ data: Data, file: String) throws(ConvertError) -> JSONObject {
        let value: JSONValue
        do { value = try JSONValue.parse(data) } catch { throw .invalidJSON(file: file, reason: error.description) }
        guard case let .object(members) = value else {
            throw .invalidJSON(file: file, reason: "the top level is \(value.shortDescription), not an object")
        }
        return JSONObject(file: file, members: members)
    }

    /// Reads and parses the JSON object at `path`, naming it `file` in errors.
    static func load(path: String, file: String) throws(ConvertError) -> JSONObject {
        try parse(try readFile(path), file: file)
    }

    /// True when `key` is present and not null.
    func has(_ key: String) -> Bool { self[key] != nil }

    /// The value at `key` (nil when absent or null).
    subscript(key: String) -> JSONValue? {
        guard let v = members.last(where: { $0.key == key })?.value, !v.isNull else { return nil }
        return v
    }

    private func require(_ key: String) throws(ConvertError) -> JSONValue {
        guard let v = self[key] else { throw .missingKey(file: file, key: key) }
        return v
    }

    private func bad(_ key: String, _ expected: String) -> ConvertError {
        .invalidValue(file: file, key: key, expected: expected, found: (self[key] ?? .null).shortDescription)
    }

    /// The integer at `key`.
    func int(_ key: String) throws(ConvertError) -> Int {
        guard let i = try require(key).intValue else { throw bad(key, "an integer") }
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
        guard let d = try require(key).doubleValue else { throw bad(key, "a number") }
        return d
    }

    /// The number at `key`, nil when absent.
    func doubleIfPresent(_ key: String) throws(ConvertError) -> Double? { has(key) ? try double(key) : nil }

    /// The string at `key`.
    func string(_ key: String) throws(ConvertError) -> String {
        guard let s = try require(key).stringValue else { throw bad(key, "a string") }
        return s
    }

    /// The string at `key`, nil when absent.
    func stringIfPresent(_ key: String) throws(ConvertError) -> String? { has(key) ? try string(key) : nil }

    /// The bool at `key`, nil when absent.
    func boolIfPresent(_ key: String) throws(ConvertError) -> Bool? {
        guard let v = self[key] else { return nil }
        guard let b = v.boolValue else { throw bad(key, "true or false") }
        return b
    }

    /// The object at `key`, nil when absent.
    func objectIfPresent(_ key: String) throws(ConvertError) -> JSONObject? {
        guard let v = self[key] else { return nil }
        guard let m = v.members else { throw bad(key, "an object") }
        return JSONObject(file: file, members: m)
    }

    /// The array at `key`, nil when absent.
    func arrayIfPresent(_ key: String) throws(ConvertError) -> [JSONValue]? {
        guard let v = self[key] else { return nil }
        guard let a = v.arrayValue else { throw bad(key, "an array") }
        return a
    }
}

extension JSONValue {
    /// A token's text: a string, or an object's "content" (tokenizer_config's AddedToken form).
    var tokenContent: String? { stringValue ?? self["content"]?.stringValue }

    /// A short description for error messages.
    var shortDescription: String {
        switch self {
        case .null: return "null"
        case let .bool(b): return "\(b)"
        case let .string(s): return "the string \"\(s.prefix(40))\""
        case let .number(n): return n
        case .array: return "an array"
        case .object: return "an object"
        }
    }
}

/// Why a file operation failed, in one line.
func failureReason(_ error: any Error) -> String {
    let ns = error as NSError
    return (ns.userInfo[NSDebugDescriptionErrorKey] as? String) ?? ns.localizedDescription
}

/// The bytes of the file at `path`.
func readFile(_ path: String) throws(ConvertError) -> Data {
    do { return try Data(contentsOf: URL(fileURLWithPath: path)) } catch {
        throw .cannotRead(path: path, reason: failureReason(error))
    }
}
