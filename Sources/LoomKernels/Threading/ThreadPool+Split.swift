// ThreadPool.split — the deterministic static work split every parallel kernel uses.
//
// Contract
//   count items are grouped into u = ⌈count / granularity⌉ granules; part p of `parts` gets granules
//   [p·⌊u/parts⌋ + min(p, u mod parts), …) — near-equal, the first (u mod parts) parts one granule
//   more — so every boundary is a multiple of `granularity`, and the last part ends at `count` (the
//   last granule may be partial). Parts are contiguous, disjoint, in order, and cover 0..<count;
//   parts beyond u are empty (count..<count). Pure function of its arguments; no overflow.

extension ThreadPool {
    /// The contiguous part `part` of `count` items split into `parts` near-equal pieces, piece
    /// boundaries rounded to multiples of `granularity` (the last piece takes the rest). Deterministic.
    ///
    /// Typical use inside ``run(_:)``: `for row in ThreadPool.split(rows, part: t, of: n) { … }`.
    public static func split(_ count: Int, part: Int, of parts: Int, granularity: Int = 1) -> Range<Int> {
        precondition(count >= 0, "split: count must be ≥ 0, got \(count)")
        precondition(parts >= 1 && part >= 0 && part < parts, "split: part \(part) of \(parts) is out of range")
        precondition(granularity >= 1, "split: granularity must be ≥ 1, got \(granularity)")
        let granules = count / granularity + (count % granularity == 0 ? 0 : 1)
        let base = granules / parts
        let extra = granules % parts
        @inline(__always) func start(_ p: Int) -> Int {
            let granule = p * base + min(p, extra)
            return min(count, granule * granularity)
        }
        let lower = start(part)
        let upper = part == parts - 1 ? count : start(part + 1)
        return lower..<upper
    }
}
