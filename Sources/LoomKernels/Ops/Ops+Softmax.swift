// Softmax over one row of n floats, in place (ggml_vec_soft_max_f32 with ggml_vec_max_f32).
//
//   m = max(x);  e[i] = exp(x[i] − m);  x[i] = e[i] / Σe
//
// Max subtraction keeps every exponent ≤ 0, so huge finite inputs are safe; −inf entries become
// exactly 0 (the vector `exp` maps −inf to 0). If every entry is −inf there is no mass to
// distribute and the row becomes all zeros (PyTorch would give NaN). A NaN or +inf entry makes the
// row NaN. The sum is f32 over 8 lanes; tested within 1e-5 relative against a Double reference.

extension Ops {
    /// Softmax of one row in place: x = exp(x − max x) / Σ exp(x − max x).
    /// - x: [n], n ≥ 1.
    @inline(never)
    public static func softmax(_ x: UnsafeMutablePointer<Float>, n: Int) {
        precondition(n >= 1, "softmax: n must be ≥ 1")
        let m = maximum(x, n)
        if m == -.infinity {
            x.update(repeating: 0, count: n)
            return
        }
        let s = expSubtractingMax(x, n: n, max: m)
        scale(x, by: 1 / s, out: x, n: n)
    }

    /// Softmax of `rows` consecutive rows of n floats each, in place.
    /// - x: [rows, n].
    public static func softmax(_ x: UnsafeMutablePointer<Float>, rows: Int, n: Int) {
        precondition(rows >= 0, "softmax: rows must be ≥ 0")
        for r in 0..<rows { softmax(x + r * n, n: n) }
    }

    /// x[i] = exp(x[i] − max) in place; returns Σ of the new values (f32, 8 lanes + tree).
    @inline(__always)
    static func expSubtractingMax(_ x: UnsafeMutablePointer<Float>, n: Int, max m: Float) -> Float {
        let m8 = V8(repeating: m)
        var acc = V8()
        var i = 0
        while i + 8 <= n {
            let e = exp(load8(x + i) - m8)
            store8(e, x + i)
            acc += e
            i += 8
        }
        var s = hsum(acc)
        if i < n {
            let e = exp(loadTail(x + i, n - i) - m8)
            for l in 0..<(n - i) {
                x[i + l] = e[l]
                s += e[l]
            }
        }
        return s
    }
}
