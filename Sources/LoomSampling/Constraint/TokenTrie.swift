// TokenTrie: the vocabulary as a byte trie, built once per model and shared by every generation.
//
// Nodes are numbered in depth-first preorder, node 0 being the root (the empty prefix):
//   byte[i]    the edge byte into node i            depth[i]   bytes from the root
//   end[i]     one past the last node of i's subtree, so the subtree of i is i ..< end[i], the
//              first child of i is i + 1 (if i + 1 < end[i]) and the next sibling of a child c is end[c]
//   tokens     ids ordered by the node their bytes end at: the ids spelled exactly by node i are
//              tokenOrder[tokenStart[i] ..< tokenStart[i + 1]], and all ids in i's subtree are
//              tokenOrder[tokenStart[i] ..< tokenStart[end[i]]] — one contiguous range
//   below[i]   for subtrees of ≥ 32 nodes: every edge byte strictly below i, and the subtree's
//              height (how many bytes it reaches below i), which let the mask accept a whole
//              subtree at once (ConstraintEngine.swift)
// Tokens with no bytes (control tokens) are not in the trie.

/// A byte trie over a vocabulary (`tokenBytes[id]` = the bytes token `id` stands for).
public final class TokenTrie: Sendable {
    /// Number of token ids (the logits length).
    public let vocabularySize: Int
    let tokenBytes: [[UInt8]]
    let byte: [UInt8]
    let depth: [UInt16]
    let end: [Int32]
    let tokenStart: [Int32]
    let tokenOrder: [Int32]
    let belowIndex: [Int32]
    let below: [ByteSet]
    let belowHeight: [UInt16]
    /// Subtrees at least this large get a `below` byte set.
    static let summaryThreshold = 32

    /// Builds the trie; `tokenBytes[id]` is empty for tokens that stand for no text.
    public init(tokenBytes: [[UInt8]]) {
        self.tokenBytes = tokenBytes
        vocabularySize = tokenBytes.count
        let ids = tokenBytes.indices.filter { !tokenBytes[$0].isEmpty }.sorted {
            let a = tokenBytes[$0], b = tokenBytes[$1]
            return a.lexicographicallyPrecedes(b) || (a == b && $0 < $1)
        }
        var byte: [UInt8] = [0], depth: [UInt16] = [0], parent: [Int32] = [-1]
        var end: [Int32] = [0], tokenStart: [Int32] = [0], order: [Int32] = []
        var path: [Int32] = [0]
        var previous: [UInt8] = []
        for id in ids {
            let t = tokenBytes[id]
            var common = 0
            while common < min(t.count, previous.count) && t[common] == previous[common] { common += 1 }
            while path.count - 1 > common { end[Int(path.removeLast())] = Int32(byte.count) }
            for k in common..<t.count {
                let node = Int32(byte.count)
                byte.append(t[k])
                depth.append(UInt16(clamping: k + 1))
                parent.append(path[path.count - 1])
                end.append(0)
                tokenStart.append(Int32(order.count))
                path.append(node)
            }
            order.append(Int32(id))
            previous = t
        }
        while let node = path.popLast() { end[Int(node)] = Int32(byte.count) }
        tokenStart.append(Int32(order.count))
        // Bytes strictly below each node, kept for large subtrees only.
        var all = Array(repeating: ByteSet(), count: byte.count)
        var height = Array(repeating: UInt16(0), count: byte.count)
        for i in stride(from: byte.count - 1, to: 0, by: -1) {
            var s = all[i]
            s.insert(byte[i])
            let p = Int(parent[i])
            all[p] = all[p].union(s)
            height[p] = max(height[p], height[i] &+ 1)
        }
        var belowIndex = Array(repeating: Int32(-1), count: byte.count)
        var below: [ByteSet] = []
        var belowHeight: [UInt16] = []
        for i in 0..<byte.count where Int(end[i]) - i >= Self.summaryThreshold {
            belowIndex[i] = Int32(below.count)
            below.append(all[i])
            belowHeight.append(height[i])
        }
        self.byte = byte
        self.depth = depth
        self.end = end
        self.tokenStart = tokenStart
        self.tokenOrder = order
        self.belowIndex = belowIndex
        self.below = below
        self.belowHeight = belowHeight
    }

    /// Number of trie nodes (including the root).
    public var nodeCount: Int { byte.count }

    /// The longest token, in bytes.
    var maxDepth: Int { Int(depth.max() ?? 0) }
}
