// Ops: the elementwise, normalization, RoPE, softmax and attention kernels of a transformer layer.
//
// Every op is a free function in the caseless `Ops` namespace. Conventions shared by all of them:
//   * buffers are `UnsafePointer<Float>` / `UnsafeMutablePointer<Float>` plus `Int` counts; the
//     shape of each buffer is written in its doc comment (`x: [rows, n]`);
//   * shape invariants are `precondition`s (kernels trap); nothing allocates inside a call;
//   * `out` may be the same pointer as an input where a doc comment says so (exact aliasing only,
//     never partial overlap);
//   * the vector bodies use portable `SIMD8<Float>` (one ymm register with -target-cpu native on
//     AVX2) with `addProduct` for FMA, then a scalar tail, so every n ≥ 1 works.
//
// This file holds the namespace and the small SIMD helpers (unaligned loads/stores, reduction trees;
// `.sum()`/`.max()` on SIMD types are sequential chains in Swift 6.3, see kernels.md §5.2).

/// Transformer ops on f32 rows: norms, activations, elementwise, softmax, RoPE and attention.
public enum Ops {}

/// The SIMD vector type the ops use: 8 f32 lanes (one AVX2 register).
typealias V8 = SIMD8<Float>

extension Ops {
    /// Loads 8 floats from `p` (no alignment required).
    @inline(__always)
    static func load8(_ p: UnsafePointer<Float>) -> V8 {
        UnsafeRawPointer(p).loadUnaligned(as: V8.self)
    }

    /// Loads 8 floats from `p` (no alignment required).
    @inline(__always)
    static func load8(_ p: UnsafeMutablePointer<Float>) -> V8 {
        UnsafeRawPointer(p).loadUnaligned(as: V8.self)
    }

    /// Stores 8 floats at `p` (no alignment required).
    @inline(__always)
    static func store8(_ v: V8, _ p: UnsafeMutablePointer<Float>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: V8.self)
    }

    /// The sum of the 8 lanes as a tree (4 + 2 + 1 adds).
    @inline(__always)
    static func hsum(_ v: V8) -> Float {
        let a = v.lowHalf + v.highHalf
        let b = a.lowHalf + a.highHalf
        return b[0] + b[1]
    }

    /// The largest of the 8 lanes as a tree.
    @inline(__always)
    static func hmax(_ v: V8) -> Float {
        let a = pointwiseMax(v.lowHalf, v.highHalf)
        let b = pointwiseMax(a.lowHalf, a.highHalf)
        return Swift.max(b[0], b[1])
    }

    /// Σ x[i]² over n floats, in f32 with 16 lane-wise partial sums (error ≈ n/16 · ε relative).
    @inline(__always)
    static func sumOfSquares(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc0 = V8(), acc1 = V8()
        var i = 0
        while i + 16 <= n {
            let a = load8(x + i), b = load8(x + i + 8)
            acc0.addProductFast(a, a)
            acc1.addProductFast(b, b)
            i += 16
        }
        if i + 8 <= n {
            let a = load8(x + i)
            acc0.addProductFast(a, a)
            i += 8
        }
        var s = hsum(acc0 + acc1)
        while i < n {
            s.addProductFast(x[i], x[i])
            i += 1
        }
        return s
    }

    /// Σ x[i] over n floats, in f32 with 16 lane-wise partial sums.
    @inline(__always)
    static func sum(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        var acc0 = V8(), acc1 = V8()
        var i = 0
        while i + 16 <= n {
            acc0 += load8(x + i)
            acc1 += load8(x + i + 8)
            i += 16
        }
        if i + 8 <= n {
            acc0 += load8(x + i)
            i += 8
        }
        var s = hsum(acc0 + acc1)
        while i < n {
            s += x[i]
            i += 1
        }
        return s
    }

    /// The largest of n ≥ 1 floats (NaN entries are ignored unless all are NaN).
    @inline(__always)
    static func maximum(_ x: UnsafePointer<Float>, _ n: Int) -> Float {
        var i = 0
        var m = -Float.infinity
        if n >= 8 {
            var acc = V8(repeating: -.infinity)
            while i + 8 <= n {
                acc = pointwiseMax(acc, load8(x + i))
                i += 8
            }
            m = hmax(acc)
        }
        while i < n {
            m = Swift.max(m, x[i])
            i += 1
        }
        return m
    }
}
