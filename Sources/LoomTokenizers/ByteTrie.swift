// ByteTrie: a trie over UTF-8 bytes with an Int32 value per key, for the Unigram tokenizer's token
// matchers and special-token partitioning. Node 0 is the root; all edges live in one hash table keyed
// by (node << 8 | byte), so 250k-token vocabularies need no per-node allocations.

/// A byte trie: node 0 is the root; children in one hash table keyed by (node, byte).
struct ByteTrie: Sendable {
    private var children: [Int: Int] = [:]
    private var values: [Int32] = [-1]

    /// Adds `key` with `value` (a later insert of the same key replaces the value).
    mutating func insert(_ key: [UInt8], value: Int32) {
        var node = 0
        for b in key {
            if let c = children[node << 8 | Int(b)] {
                node = c
            } else {
                values.append(-1)
                children[node << 8 | Int(b)] = values.count - 1
                node = values.count - 1
            }
        }
        values[node] = value
    }

    func child(_ node: Int, _ b: UInt8) -> Int? { children[node << 8 | Int(b)] }

    func value(_ node: Int) -> Int32? { values[node] >= 0 ? values[node] : nil }

    /// How many bytes of `key` can be walked from the root (llama.cpp's naive_trie::get_longest_prefix:
    /// the path need not end at a key).
    func longestPath(_ key: ArraySlice<UInt8>) -> Int {
        var node = 0, depth = 0
        for b in key {
            guard let c = children[node << 8 | Int(b)] else { break }
            node = c
            depth += 1
        }
        return depth
    }
}
