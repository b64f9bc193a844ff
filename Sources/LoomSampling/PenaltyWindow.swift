// The repetition window (llama.cpp's llama_sampler_penalties): the last `capacity` accepted tokens in
// a ring buffer plus a count per distinct token. Applying it to logits, for each distinct token t in
// the window with count c (and t inside the vocabulary):
//   logit[t] = logit[t] ≤ 0 ? logit[t] · repeat_penalty : logit[t] / repeat_penalty
//   logit[t] −= c · frequency_penalty + presence_penalty
// The repeat penalty applies once per distinct token, not once per occurrence (as llama.cpp).
// Results are clamped to ±Float.greatestFiniteMagnitude so that −inf keeps meaning "masked".

/// The last N accepted tokens and their counts.
struct PenaltyWindow: Sendable {
    /// Window length; 0 disables, < 0 keeps every accepted token.
    let capacity: Int
    private var ring: [Int32] = []
    private var head = 0
    private(set) var counts: [Int32: Int] = [:]

    init(capacity: Int) {
        self.capacity = capacity
        if capacity > 0 {
            ring.reserveCapacity(min(capacity, 4096))
            counts.reserveCapacity(min(capacity, 4096))
        }
    }

    /// True when no token has been recorded.
    var isEmpty: Bool { counts.isEmpty }

    /// Records a token, evicting the oldest one when the window is full.
    mutating func append(_ token: Int32) {
        if capacity == 0 { return }
        if capacity > 0 && ring.count == capacity {
            let old = ring[head]
            if let c = counts[old] { counts[old] = c > 1 ? c - 1 : nil }
            ring[head] = token
            head = head + 1 == capacity ? 0 : head + 1
        } else {
            ring.append(token)
        }
        counts[token, default: 0] += 1
    }

    /// Forgets every token.
    mutating func removeAll() {
        ring.removeAll(keepingCapacity: true)
        counts.removeAll(keepingCapacity: true)
        head = 0
    }

    /// Applies the penalties to `logits` in place; entries equal to −inf (masked) are left alone.
    func apply(
        to logits: UnsafeMutableBufferPointer<Float>,
        repeatPenalty: Float, frequencyPenalty: Float, presencePenalty: Float
    ) {
        let limit = Float.greatestFiniteMagnitude
        for (token, count) in counts {
            let t = Int(token)
            guard t >= 0, t < logits.count else { continue }
            var l = logits[t]
            if l == -.infinity { continue }
            l = l <= 0 ? l * repeatPenalty : l / repeatPenalty
            l -= Float(count) * frequencyPenalty + presencePenalty
            logits[t] = max(-limit, min(limit, l.isNaN ? -limit : l))
        }
    }
}
