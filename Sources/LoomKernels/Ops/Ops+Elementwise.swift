// Elementwise f32 arithmetic over n floats: add, mul, scale, addInPlace.
//
//   add:        out[i] = a[i] + b[i]        (ggml_vec_add_f32)
//   mul:        out[i] = a[i] · b[i]        (ggml_vec_mul_f32)
//   scale:      out[i] = x[i] · s           (ggml_vec_scale_f32)
//   addInPlace: x[i] += y[i]                (ggml_vec_acc_f32; the residual connection)
//
// Exact (one IEEE operation per element), so tests compare bit for bit. `out` may alias an input.

extension Ops {
    /// out = a + b elementwise.
    /// - a: [n], b: [n], out: [n] (may alias `a` or `b`).
    @inline(never)
    public static func add(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, n: Int
    ) {
        precondition(n >= 0, "add: n must be ≥ 0")
        var i = 0
        while i + 16 <= n {
            let r0 = load8(a + i) + load8(b + i)
            let r1 = load8(a + i + 8) + load8(b + i + 8)
            store8(r0, out + i)
            store8(r1, out + i + 8)
            i += 16
        }
        if i + 8 <= n { store8(load8(a + i) + load8(b + i), out + i); i += 8 }
        while i < n { out[i] = a[i] + b[i]; i += 1 }
    }

    /// out = a · b elementwise.
    /// - a: [n], b: [n], out: [n] (may alias `a` or `b`).
    @inline(never)
    public static func mul(
        _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>, out: UnsafeMutablePointer<Float>, n: Int
    ) {
        precondition(n >= 0, "mul: n must be ≥ 0")
        var i = 0
        while i + 16 <= n {
            let r0 = load8(a + i) * load8(b + i)
            let r1 = load8(a + i + 8) * load8(b + i + 8)
            store8(r0, out + i)
            store8(r1, out + i + 8)
            i += 16
        }
        if i + 8 <= n { store8(load8(a + i) * load8(b + i), out + i); i += 8 }
        while i < n { out[i] = a[i] * b[i]; i += 1 }
    }

    /// out = x · s elementwise.
    /// - x: [n], out: [n] (may alias `x`).
    @inline(never)
    public static func scale(
        _ x: UnsafePointer<Float>, by s: Float, out: UnsafeMutablePointer<Float>, n: Int
    ) {
        precondition(n >= 0, "scale: n must be ≥ 0")
        let s8 = V8(repeating: s)
        var i = 0
        while i + 16 <= n {
            let r0 = load8(x + i) * s8
            let r1 = load8(x + i + 8) * s8
            store8(r0, out + i)
            store8(r1, out + i + 8)
            i += 16
        }
        if i + 8 <= n { store8(load8(x + i) * s8, out + i); i += 8 }
        while i < n { out[i] = x[i] * s; i += 1 }
    }

    /// x += y elementwise (residual add).
    /// - x: [n] accumulated in place, y: [n].
    public static func addInPlace(_ x: UnsafeMutablePointer<Float>, _ y: UnsafePointer<Float>, n: Int) {
        add(x, y, out: x, n: n)
    }
}
