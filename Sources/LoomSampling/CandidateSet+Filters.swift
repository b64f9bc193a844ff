// The samplers of llama.cpp's default chain (src/llama-sampling.cpp), applied to a CandidateSet in
// the order common/sampling.cpp uses: top_k → typical_p → top_p → min_p → temperature, then the
// draw. Each keeps at least one candidate (min_keep = 1).
//
//   top_k(k):     keep the k best by logit (k ≤ 0 or ≥ n: keep all); result sorted.
//                 Partial selection: a k-element heap over the vocabulary, O(n log k), no full sort.
//   typical(p):   p ≥ 1 → no-op. softmax (sorted); H = −Σ pᵢ log pᵢ; key = |−log pᵢ − H|;
//                 order by key ascending; keep the shortest prefix with Σ p > p (strict), ≥ 1 token.
//                 Result is in key order (unsorted). pᵢ = 0 terms add 0 to H and get key +inf.
//   top_p(p):     p ≥ 1 → no-op. softmax (sorted); keep the shortest prefix with Σ p ≥ p.
//                 A large unsorted set is sorted only as far as needed (growing partial selection).
//   min_p(p):     p ≤ 0 → no-op. keep logit ≥ max_logit + log(p) (Float, as llama.cpp), order kept.
//   temperature:  logit /= t.
//   draw:         softmax; u ∈ [0,1) from the RNG; the first candidate whose cumulative p > u.

extension CandidateSet {
    /// Keeps the `k` best of `logits` (entries equal to −inf are excluded: masked tokens), sorted.
    /// k ≤ 0 or k ≥ n keeps every non-excluded token in id order (unsorted).
    mutating func fill(topK k: Int, from logits: UnsafeBufferPointer<Float>) {
        items.removeAll(keepingCapacity: true)
        isSorted = false
        let n = logits.count
        if k <= 0 || k >= n {
            items.reserveCapacity(n)
            for i in 0..<n where logits[i] != -.infinity {
                items.append(Candidate(id: Int32(truncatingIfNeeded: i), logit: logits[i]))
            }
            return
        }
        items.reserveCapacity(k)
        // Max-heap under `better` ordering's reverse: the root is the worst kept candidate.
        var threshold = -Float.infinity
        var i = 0
        while i < n && items.count < k {
            let l = logits[i]
            if l != -.infinity {
                items.append(Candidate(id: Int32(truncatingIfNeeded: i), logit: l))
                items.withUnsafeMutableBufferPointer { Self.siftUp($0, $0.count - 1, by: Self.better) }
            }
            i += 1
        }
        if items.count == k { threshold = items[0].logit }
        items.withUnsafeMutableBufferPointer { heap in
            let raw = logits.baseAddress.map { UnsafeRawPointer($0) }
            while i < n {
                // Skip 16 at a time while no logit beats the root (the common case).
                if let raw {
                    let t = SIMD16<Float>(repeating: threshold)
                    while i + 16 <= n {
                        let v = raw.loadUnaligned(fromByteOffset: i * 4, as: SIMD16<Float>.self)
                        if (v .> t) != SIMDMask(repeating: false) { break }
                        i += 16
                    }
                }
                let end = min(i + 16, n)
                while i < end {
                    let l = logits[i]
                    // Strictly better than the root: a higher logit (a later id never wins a tie).
                    if l > threshold {
                        heap[0] = Candidate(id: Int32(truncatingIfNeeded: i), logit: l)
                        Self.siftDown(heap, 0, k, by: Self.better)
                        threshold = heap[0].logit
                    }
                    i += 1
                }
            }
            Self.sortHeap(heap, count: heap.count, by: Self.better)
        }
        isSorted = true
    }

    /// Locally typical sampling with mass `p` (llama_sampler_typical, min_keep 1).
    mutating func typical(_ p: Float) {
        if p >= 1 || items.count < 2 { return }
        softmax(sorting: true)
        var entropy = 0.0
        for c in items where c.p > 0 { entropy -= c.p * SamplingMath.log(c.p) }
        for i in items.indices {
            let pi = items[i].p
            items[i].key = pi > 0 ? abs(-SamplingMath.log(pi) - entropy) : .infinity
        }
        // Ties in key keep the logit order (which `better` reproduces, since items are sorted).
        items.withUnsafeMutableBufferPointer { buf in
            Self.heapSort(buf) { a, b in a.key < b.key || (a.key == b.key && Self.better(a, b)) }
        }
        var sum = 0.0
        var last = items.count
        for i in items.indices {
            sum += items[i].p
            if sum > Double(p) {
                last = i + 1
                break
            }
        }
        items.removeSubrange(last...)
        isSorted = false
    }

    /// Nucleus sampling with mass `p` (llama_sampler_top_p, min_keep 1).
    /// A large unsorted set (top_k disabled) is not fully sorted: the best 256, 1024, … candidates
    /// are selected and sorted until their cumulative mass reaches `p` (the same prefix a full sort gives).
    mutating func topP(_ p: Float) {
        if p >= 1 || items.isEmpty { return }
        if isSorted || items.count <= 1024 {
            softmax(sorting: true)
            cutPrefix(mass: p, within: items.count)
            return
        }
        softmax(sorting: false)
        var k = 256
        while k <= items.count / 8 {
            partialSort(k)
            if cutPrefix(mass: p, within: k) {
                isSorted = true
                return
            }
            k *= 4
        }
        sortByLogit()
        cutPrefix(mass: p, within: items.count)
    }

    /// Keeps the shortest prefix of the first `limit` items whose mass is ≥ p; false if none is.
    @discardableResult
    private mutating func cutPrefix(mass p: Float, within limit: Int) -> Bool {
        var sum = 0.0
        for i in 0..<limit {
            sum += items[i].p
            if sum >= Double(p) {
                items.removeSubrange((i + 1)...)
                return true
            }
        }
        return false
    }

    /// Moves the `k` best candidates to the front in sorted order (the rest stay, unordered).
    mutating func partialSort(_ k: Int) {
        items.withUnsafeMutableBufferPointer { buf in
            var start = k / 2 - 1
            while start >= 0 {
                Self.siftDown(buf, start, k, by: Self.better)
                start -= 1
            }
            for j in k..<buf.count where Self.better(buf[j], buf[0]) {
                buf.swapAt(0, j)
                Self.siftDown(buf, 0, k, by: Self.better)
            }
            Self.sortHeap(buf, count: k, by: Self.better)
        }
    }

    /// Min-p: drops candidates with p < `p` · p_max, i.e. logit < max_logit + log p (llama_sampler_min_p).
    mutating func minP(_ p: Float) {
        if p <= 0 || items.isEmpty { return }
        var maxLogit = items[0].logit
        if !isSorted { for c in items where c.logit > maxLogit { maxLogit = c.logit } }
        let minLogit = maxLogit + Float(SamplingMath.log(Double(p)))
        var kept = 0
        for i in items.indices where items[i].logit >= minLogit {
            items[kept] = items[i]
            kept += 1
        }
        if kept >= 1 { items.removeSubrange(kept...) }
    }

    /// Divides every logit by `t` (> 0).
    mutating func temperature(_ t: Float) {
        for i in items.indices { items[i].logit /= t }
    }

    /// Softmax over the candidates and one draw with `u` ∈ [0, 1): the first with cumulative p > u.
    mutating func draw(unit u: Double) -> Int32 {
        softmax(sorting: false)
        var sum = 0.0
        for c in items {
            sum += c.p
            if u < sum { return c.id }
        }
        return items[items.count - 1].id  // rounding left Σp slightly below u
    }
}
