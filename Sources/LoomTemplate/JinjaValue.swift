// JinjaValue: the values a template computes with — JSON's values plus Jinja's undefined, and
// the internal callables and namespaces. Semantics follow Python (Jinja runs on Python): truthiness,
// `str()` for output, `repr()` inside containers, `==` across int/float/bool.

/// A value in a template: JSON-like data plus Jinja's `undefined`.
public indirect enum JinjaValue: Sendable {
    /// A missing variable, attribute or key; renders as "" and is falsy.
    case undefined
    /// Python's None (JSON null).
    case none
    /// A boolean.
    case bool(Bool)
    /// An integer.
    case int(Int)
    /// A floating-point number.
    case double(Double)
    /// A string.
    case string(String)
    /// A string marked safe (`|safe`, `|e`): Python's `markupsafe.Markup`. Adding a plain string to
    /// it HTML-escapes that string, as in jinja2; everything else treats it as a string.
    case markup(String)
    /// A list.
    case array([JinjaValue])
    /// A tuple: like a list, but printed with parentheses and never equal to a list.
    case tuple([JinjaValue])
    /// A dict view (`d.items()`, `d.keys()`, `d.values()`): iterable with a length, not indexable,
    /// not JSON-serializable; prints as `dict_items([...])`.
    case view(String, [JinjaValue])
    /// A mapping with insertion-ordered string keys.
    case object(JinjaObject)
    /// `namespace(...)`: the one mutable object a template can assign attributes on.
    case namespace(Namespace)
    /// A macro, builtin function, bound method or `caller`.
    case callable(Callable)
    /// A one-pass lazy sequence, as jinja2's `map`, `select`, `reject`, `selectattr`, `rejectattr`,
    /// `unique` and `items` filters return: iterable once, no length, not JSON-serializable.
    case iterator(JinjaIterator)
}

/// The one-pass sequence behind `.iterator` (Python generators).
public final class JinjaIterator: @unchecked Sendable {
    let name: String
    private var items: [JinjaValue]
    private var position = 0
    init(_ name: String, _ items: [JinjaValue]) {
        self.name = name
        self.items = items
    }
    /// The remaining items; consumes them.
    func drain() -> [JinjaValue] {
        defer { position = items.count }
        return Array(items[position...])
    }
    /// The next item, consuming it.
    func next() -> JinjaValue? {
        guard position < items.count else { return nil }
        defer { position += 1 }
        return items[position]
    }
}

/// A hashable dict key: Python dict keys a template can write (`{0: "a"}`, `{"k": 1}`). Equal
/// numbers are the same key, as in Python (1, 1.0 and True).
public enum DictKey: Hashable, Sendable {
    case string(String), int(Int), double(Double), none

    /// The key for a value, or nil when the value cannot be a key (lists, dicts, undefined, …).
    init?(_ v: JinjaValue) {
        switch v {
        case let .string(s): self = .string(s)
        case let .int(i): self = .int(i)
        case let .bool(b): self = .int(b ? 1 : 0)
        case let .double(d): self = (d.rounded() == d && abs(d) < 9e18) ? .int(Int(d)) : .double(d)
        case .none: self = .none
        default: return nil
        }
    }

    /// The key as a template value.
    var value: JinjaValue {
        switch self {
        case let .string(s): return .string(s)
        case let .int(i): return .int(i)
        case let .double(d): return .double(d)
        case .none: return .none
        }
    }
}

/// An insertion-ordered mapping (Python dicts keep insertion order, and `tojson` output depends
/// on it). Keys are strings in JSON data; templates may also use numbers.
public struct JinjaObject: Sendable {
    private(set) var orderedKeys: [DictKey] = []
    private var storage: [DictKey: JinjaValue] = [:]

    /// An empty mapping.
    public init() {}

    /// String keys in insertion order (other keys as Python's str() of them).
    public var keys: [String] { orderedKeys.map { $0.value.pythonString } }

    /// The value for a string `key`; assigning nil removes it, assigning a new key appends it.
    public subscript(key: String) -> JinjaValue? {
        get { storage[.string(key)] }
        set { self[dictKey: .string(key)] = newValue }
    }

    /// The value for any key.
    subscript(dictKey key: DictKey) -> JinjaValue? {
        get { storage[key] }
        set {
            if let newValue {
                if storage.updateValue(newValue, forKey: key) == nil { orderedKeys.append(key) }
            } else if storage.removeValue(forKey: key) != nil {
                orderedKeys.removeAll { $0 == key }
            }
        }
    }

    /// Number of entries.
    public var count: Int { orderedKeys.count }

    /// (key, value) pairs in order, keys as values.
    var entries: [(key: JinjaValue, value: JinjaValue)] { orderedKeys.map { ($0.value, storage[$0] ?? .undefined) } }

    /// (key, value) pairs in order with string keys (JSON, kwargs).
    public var pairs: [(key: String, value: JinjaValue)] { orderedKeys.map { ($0.value.pythonString, storage[$0] ?? .undefined) } }
}

/// The mutable attribute bag made by `namespace()`.
public final class Namespace: @unchecked Sendable {
    /// Attributes.
    var attributes: JinjaObject
    init(_ attributes: JinjaObject) { self.attributes = attributes }
}

/// Something a template can call: macro, builtin, method bound to a value, `caller`.
public final class Callable: @unchecked Sendable {
    typealias Body = (_ arguments: Arguments, _ interpreter: Interpreter) throws(TemplateError) -> JinjaValue
    let name: String
    let body: Body
    init(_ name: String, _ body: @escaping Body) {
        self.name = name
        self.body = body
    }
}

/// Positional and keyword arguments of a call.
struct Arguments {
    var positional: [JinjaValue] = []
    var keyword: [(String, JinjaValue)] = []

    /// The argument at position `i` or with keyword `name`, else nil.
    func value(_ i: Int, _ name: String) -> JinjaValue? {
        if let kw = keyword.first(where: { $0.0 == name }) { return kw.1 }
        return i >= 0 && i < positional.count ? positional[i] : nil
    }
}

extension JinjaValue {
    /// Python truthiness.
    var isTruthy: Bool {
        switch self {
        case .undefined, .none: return false
        case let .bool(b): return b
        case let .int(i): return i != 0
        case let .double(d): return d != 0
        case let .string(s), let .markup(s): return !s.isEmpty
        case let .array(a), let .tuple(a), let .view(_, a): return !a.isEmpty
        case let .object(o): return o.count > 0
        case .namespace, .callable, .iterator: return true
        }
    }

    /// Whether arrays, objects and namespaces nest more than `limit` levels deep here. Namespaces
    /// are followed once each, so a namespace stored inside itself (a cycle) is not "deep"; the walk
    /// itself never goes deeper than `limit + 1` levels.
    func nestsDeeper(than limit: Int) -> Bool {
        var seen: Set<ObjectIdentifier> = []
        func deeper(_ v: JinjaValue, _ room: Int) -> Bool {
            switch v {
            case let .array(a), let .tuple(a), let .view(_, a):
                return room == 0 ? !a.isEmpty && a.contains { $0.isContainer } : a.contains { deeper($0, room - 1) }
            case let .object(o):
                return room == 0 ? o.entries.contains { $0.value.isContainer } : o.entries.contains { deeper($0.value, room - 1) }
            case let .namespace(n):
                guard seen.insert(ObjectIdentifier(n)).inserted else { return false }
                return deeper(.object(n.attributes), room)
            default: return false
            }
        }
        return deeper(self, limit)
    }

    /// Array, tuple, view, object or namespace.
    var isContainer: Bool {
        switch self {
        case .array, .tuple, .view, .object, .namespace: return true
        default: return false
        }
    }

    var isUndefined: Bool { if case .undefined = self { return true } else { return false } }

    /// A tuple as a list; other values unchanged.
    var listLike: JinjaValue { if case let .tuple(a) = self { return .array(a) } else { return self } }

    /// Markup as a plain string; other values unchanged.
    var plain: JinjaValue { if case let .markup(s) = self { return .string(s) } else { return self } }

    /// The Python type name, for error messages.
    var typeName: String {
        switch self {
        case .undefined: return "Undefined"
        case .none: return "NoneType"
        case .bool: return "bool"
        case .int: return "int"
        case .double: return "float"
        case .string, .markup: return "str"
        case .array: return "list"
        case .tuple: return "tuple"
        case let .view(kind, _): return kind
        case .object: return "dict"
        case .namespace: return "Namespace"
        case .callable: return "function"
        case .iterator: return "generator"
        }
    }

    /// Numeric value for int, float and bool (Python treats bool as int).
    var number: Double? {
        switch self {
        case let .int(i): return Double(i)
        case let .double(d): return d
        case let .bool(b): return b ? 1 : 0
        default: return nil
        }
    }

    /// Integer value for int and bool.
    var integer: Int? {
        switch self {
        case let .int(i): return i
        case let .bool(b): return b ? 1 : 0
        default: return nil
        }
    }
}
