// The working set of the sampler chain (llama.cpp's llama_token_data_array): candidates with
// id, logit and probability, filtered in place by the samplers in Sampler+Filters.swift.
//
// Order: "better" = higher logit, ties → lower id. When `isSorted`, candidates are in that order.
// Buffers keep their capacity across calls, so steady-state sampling does not allocate.
// Sorting is an in-place heapsort with a total order (no allocation, deterministic); sets over 4096
// candidates (top_k disabled) use the standard library sort, which allocates scratch but is faster.

/// One candidate token (llama_token_data): id, logit, and probability when computed.
struct Candidate: Sendable, Hashable {
    /// Token id.
    var id: Int32
    /// Logit after the samplers applied so far.
    var logit: Float
    /// Probability under the last softmax (Double for stable cumulative sums).
    var p: Double = 0
    /// Scratch key (typical sampling's |−log p − H|).
    var key: Double = 0
}

/// Candidates plus the sortedness flag; reused across `sample` calls.
struct CandidateSet: Sendable {
    /// The live candidates.
    var items: [Candidate] = []
    /// True when `items` are in "better" order (descending logit, ties → lower id).
    var isSorted = false

    /// Candidates for every logit, in id order (used by tests and by the top_k-disabled path).
    init(logits: [Float] = []) {
        items = logits.enumerated().map { Candidate(id: Int32($0.offset), logit: $0.element) }
    }

    @inline(__always)
    static func better(_ a: Candidate, _ b: Candidate) -> Bool {
        a.logit > b.logit || (a.logit == b.logit && a.id < b.id)
    }

    /// Sorts in "better" order (descending logit, ties → lower id) unless already sorted.
    mutating func sortByLogit() {
        if isSorted { return }
        if items.count > 4096 {
            items.sort(by: Self.better)  // large sets (top_k off): the stdlib sort is ~3× faster than heapsort
        } else {
            items.withUnsafeMutableBufferPointer { Self.heapSort($0, by: Self.better) }
        }
        isSorted = true
    }

    /// Computes `p` = softmax(logit) over the candidates; sorts first when asked.
    mutating func softmax(sorting: Bool) {
        if sorting { sortByLogit() }
        guard !items.isEmpty else { return }
        var maxLogit = items[0].logit
        if !isSorted { for c in items where c.logit > maxLogit { maxLogit = c.logit } }
        let m = Double(maxLogit)
        var sum = 0.0
        for i in items.indices {
            let e = SamplingMath.exp(Double(items[i].logit) - m)
            items[i].p = e
            sum += e
        }
        let inv = 1 / sum
        for i in items.indices { items[i].p *= inv }
    }

    // MARK: heap primitives (a max-heap under `less`: the root is the element that sorts last)

    @inline(__always)
    static func siftDown(
        _ buf: UnsafeMutableBufferPointer<Candidate>, _ start: Int, _ end: Int,
        by less: (Candidate, Candidate) -> Bool
    ) {
        var root = start
        while true {
            var child = 2 * root + 1
            if child >= end { return }
            if child + 1 < end && less(buf[child], buf[child + 1]) { child += 1 }
            if !less(buf[root], buf[child]) { return }
            buf.swapAt(root, child)
            root = child
        }
    }

    @inline(__always)
    static func siftUp(
        _ buf: UnsafeMutableBufferPointer<Candidate>, _ index: Int,
        by less: (Candidate, Candidate) -> Bool
    ) {
        var child = index
        while child > 0 {
            let parent = (child - 1) / 2
            if !less(buf[parent], buf[child]) { return }
            buf.swapAt(parent, child)
            child = parent
        }
    }

    /// Sorts `buf[0..<count]` ascending under `less`, assuming it already is a heap under `less`.
    static func sortHeap(
        _ buf: UnsafeMutableBufferPointer<Candidate>, count: Int,
        by less: (Candidate, Candidate) -> Bool
    ) {
        var end = count - 1
        while end > 0 {
            buf.swapAt(0, end)
            siftDown(buf, 0, end, by: less)
            end -= 1
        }
    }

    /// In-place heapsort, ascending under `less` (which must be a strict total order).
    static func heapSort(
        _ buf: UnsafeMutableBufferPointer<Candidate>, by less: (Candidate, Candidate) -> Bool
    ) {
        let n = buf.count
        if n < 2 { return }
        var start = n / 2 - 1
        while start >= 0 {
            siftDown(buf, start, n, by: less)
            start -= 1
        }
        sortHeap(buf, count: n, by: less)
    }
}
