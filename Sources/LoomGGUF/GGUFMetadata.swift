// GGUFMetadata: the ordered key/value section of a GGUF file, with typed accessors.
//
// Keys keep file order (the writer writes them in insertion order); lookup is by hash. The typed
// accessors throw `GGUFError.missingKey` / `.typeMismatch` / `.valueOutOfRange` so that a model
// loader can say exactly which key of which file is wrong; the `…IfPresent` forms return nil for
// an absent key but still throw for a present key of the wrong type.

/// One metadata entry.
public struct GGUFKeyValue: Sendable, Hashable {
    /// The key, e.g. "llama.block_count".
    public let key: String
    /// Its value.
    public let value: GGUFValue
}

/// The metadata of a GGUF file: keys in file order, each once. A dictionary literal keeps its order:
/// `["general.architecture": .string("llama"), "llama.block_count": .uint32(30)]`.
public struct GGUFMetadata: Sendable, Hashable, RandomAccessCollection, ExpressibleByDictionaryLiteral {
    /// Entries in file (or insertion) order.
    public private(set) var entries: [GGUFKeyValue] = []
    private var index: [String: Int] = [:]

    /// Empty metadata.
    public init() {}

    /// Metadata holding `elements` in order; a repeated key keeps its first position and last value.
    public init(dictionaryLiteral elements: (String, GGUFValue)...) {
        for (k, v) in elements { self[k] = v }
    }

    public var startIndex: Int { entries.startIndex }
    public var endIndex: Int { entries.endIndex }
    public subscript(position: Int) -> GGUFKeyValue { entries[position] }

    /// All keys in order.
    public var keys: [String] { entries.map(\.key) }

    /// Whether `key` is present.
    public func contains(_ key: String) -> Bool { index[key] != nil }

    /// The value for `key`; setting replaces in place or appends, setting nil removes.
    public subscript(key: String) -> GGUFValue? {
        get { index[key].map { entries[$0].value } }
        set {
            if let newValue {
                if let i = index[key] {
                    entries[i] = GGUFKeyValue(key: key, value: newValue)
                } else {
                    index[key] = entries.count
                    entries.append(GGUFKeyValue(key: key, value: newValue))
                }
            } else if let i = index.removeValue(forKey: key) {
                entries.remove(at: i)
                for j in i..<entries.count { index[entries[j].key] = j }
            }
        }
    }

    /// Appends an entry read from a file; returns false when the key is already present.
    mutating func appendNew(key: String, value: GGUFValue) -> Bool {
        guard index[key] == nil else { return false }
        index[key] = entries.count
        entries.append(GGUFKeyValue(key: key, value: value))
        return true
    }

    public static func == (a: GGUFMetadata, b: GGUFMetadata) -> Bool { a.entries == b.entries }
    public func hash(into hasher: inout Hasher) { hasher.combine(entries) }
}
