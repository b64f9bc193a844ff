// Orthonormal Walsh–Hadamard rotation, in place, on consecutive blocks of n values (n a power of 2):
//
//   x_block ← H_n · x_block,   H_1 = [1],  H_2m = [[H_m, H_m], [H_m, −H_m]] / √2 per step,
//   so H_n[i][j] = (−1)^popcount(i & j) / √n  — symmetric, H_n·H_n = I.
//
// This is the matrix llama.cpp builds for its quantized KV caches (`ggml_gen_hadamard`,
// llama-kv-cache.cpp): keys and queries are rotated by the same H before the K cache quantizes them
// (q·k is unchanged), values are rotated before quantizing and the attention output rotated back.
// A rotation spreads an outlier dimension over the whole block, so one block scale fits it better.
// Here as the fast transform: log₂ n butterfly stages (a, b) → (a + b, a − b), then one multiply by
// 1/√n (exact for n = 64 and 256). Results equal the matrix product to rounding (llama.cpp
// multiplies by the matrix; the stored blocks can differ where a value sits on a rounding edge).
// Tested against the explicit matrix in Double and for H·H = I (OpsHadamardTests).

extension Ops {
    /// x ← H_block · x for each of the count / block consecutive blocks (block a power of 2 ≥ 8).
    /// - x: [count / block, block]
    public static func hadamard(_ x: UnsafeMutablePointer<Float>, count: Int, block n: Int) {
        precondition(n >= 8 && n & (n - 1) == 0 && count % n == 0, "hadamard: block \(n) must be a power of 2 ≥ 8 dividing \(count)")
        let norm = V8(repeating: 1 / Float(n).squareRoot())
        for b in stride(from: 0, to: count, by: n) {
            let p = x + b
            // Stages of width 1, 2, 4: inside each 8-value vector, lane pairs (l, l ^ w).
            var i = 0
            while i < n {
                var v = load8(p + i)
                v = butterfly(v, 1)
                v = butterfly(v, 2)
                v = butterfly(v, 4)
                store8(v, p + i)
                i += 8
            }
            // Stages of width 8, 16, …: whole vectors.
            var w = 8
            while w < n {
                var j = 0
                while j < n {
                    for k in stride(from: j, to: j + w, by: 8) {
                        let a = load8(p + k), c = load8(p + k + w)
                        store8(a + c, p + k)
                        store8(a - c, p + k + w)
                    }
                    j += 2 * w
                }
                w *= 2
            }
            for k in stride(from: 0, to: n, by: 8) { store8(load8(p + k) * norm, p + k) }
        }
    }

    /// One butterfly stage of width w (1, 2 or 4) inside a vector: lane l gets v[l] + v[l+w] when
    /// l & w == 0, and v[l−w] − v[l] otherwise.
    @inline(__always)
    static func butterfly(_ v: V8, _ w: Int) -> V8 {
        var partner = V8(), sign = V8()
        for l in 0..<8 {
            partner[l] = v[l ^ w]
            sign[l] = l & w == 0 ? 1 : -1
        }
        // l & w == 0: v[l] + v[l^w];  else: v[l^w] − v[l] = partner + sign·v.
        return partner.addingProductFast(sign, v)
    }
}
