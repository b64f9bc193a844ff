// The vector exp against Foundation, and silu/gelu/geluErf/swiglu against Double references.

import Foundation
import Testing
@testable import LoomKernels

@Suite("Ops: exp and activations")
struct OpsActivationTests {
    /// Relative tolerance of the vector exp for normal results (stated in Ops+Exp.swift).
    static let expRelTol = 3e-7

    @Test("vector exp: max relative error < 3e-7 vs Foundation exp over [−87, 88]")
    func expAccuracy() {
        var worst = 0.0, worstX: Float = 0
        var x: Float = -87
        while x <= 88 {
            let got = Double(Ops.exp(x))
            let want = Foundation.exp(Double(x))
            let rel = abs(got - want) / want
            if rel > worst { worst = rel; worstX = x }
            x += 0.000_37
        }
        #expect(worst < Self.expRelTol, "worst rel error \(worst) at x = \(worstX)")
        #expect(worst > 1e-9, "the sweep compares something")
    }

    @Test("vector exp edge cases: 0, ±inf, NaN, overflow, subnormal range, underflow")
    func expEdges() {
        #expect(Ops.exp(0) == 1)
        #expect(Ops.exp(-.infinity) == 0)
        #expect(Ops.exp(.infinity) == .infinity)
        #expect(Ops.exp(.nan).isNaN)
        #expect(Ops.exp(89) == .infinity)
        #expect(Ops.exp(1000) == .infinity)
        #expect(Ops.exp(-104) == 0)
        #expect(Ops.exp(-1000) == 0)
        for x: Float in [-87.5, -90, -95, -100, -103] {   // subnormal results
            let want = Foundation.exp(Double(x))
            #expect(abs(Double(Ops.exp(x)) - want) <= 2e-45 + 1e-6 * want, "x = \(x)")
        }
        for x: Float in [88.5, 88.7, -87.2, 87.9] {         // near the ends of the normal range
            let want = Foundation.exp(Double(x))
            #expect(abs(Double(Ops.exp(x)) - want) / want < Self.expRelTol, "x = \(x)")
        }
        // Mixed lanes: one lane taking the fixup path must not disturb the others.
        let v = Ops.exp(SIMD8<Float>(0, 1, -1, 200, -200, 2, -.infinity, 0.5))
        #expect(v[3] == .infinity && v[4] == 0 && v[6] == 0 && v[0] == 1)
        #expect(abs(Double(v[1]) - M_E) / M_E < Self.expRelTol)
        #expect(abs(Double(v[7]) - Foundation.exp(0.5)) / Foundation.exp(0.5) < Self.expRelTol)
    }

    @Test("Ops.exp over a buffer equals the lane-wise exp", arguments: [1, 7, 8, 9, 33])
    func expBuffer(n: Int) {
        let x = OpsSupport.random(n, seed: 77, in: -20...20)
        var out = [Float](repeating: .nan, count: n)
        x.opsRead { xp in out.opsWrite { Ops.exp(xp, out: $0, n: n) } }
        #expect(out == x.map { Ops.exp($0) })
    }

    static func siluRef(_ x: Double) -> Double { x / (1 + Foundation.exp(-x)) }
    static func geluRef(_ x: Double) -> Double {
        0.5 * x * (1 + tanh((2 / Double.pi).squareRoot() * (x + 0.044715 * x * x * x)))
    }
    static func geluErfRef(_ x: Double) -> Double { 0.5 * x * erfc(-x / 2.0.squareRoot()) }

    /// |err| ≤ 2e-6·|want| + 1e-7·(1 + |x|) per element (see Ops+Activation.swift).
    static func check(_ got: [Float], _ want: [Double], _ x: [Float]) -> String? {
        for i in got.indices {
            let tol = 2e-6 * abs(want[i]) + 1e-7 * (1 + abs(Double(x[i])))
            if !(abs(Double(got[i]) - want[i]) <= tol) {
                return "x = \(x[i]): got \(got[i]), want \(want[i])"
            }
        }
        return nil
    }

    @Test("silu, gelu, geluErf, swiglu match Double", arguments: OpsSupport.sizes)
    func activations(n: Int) {
        let x = OpsSupport.random(n, seed: UInt64(n) + 500, in: -12...12)
        let up = OpsSupport.random(n, seed: UInt64(n) + 501)
        var s = [Float](repeating: .nan, count: n)
        var g = s, ge = s, sw = s
        x.opsRead { xp in
            s.opsWrite { Ops.silu(xp, out: $0, n: n) }
            g.opsWrite { Ops.gelu(xp, out: $0, n: n) }
            ge.opsWrite { Ops.geluErf(xp, out: $0, n: n) }
            up.opsRead { upp in sw.opsWrite { Ops.swiglu(gate: xp, up: upp, out: $0, n: n) } }
        }
        let xd = x.map(Double.init)
        let checks = [
            ("silu", Self.check(s, xd.map(Self.siluRef), x)),
            ("gelu", Self.check(g, xd.map(Self.geluRef), x)),
            ("geluErf", Self.check(ge, xd.map(Self.geluErfRef), x)),
            ("swiglu", Self.check(sw, xd.indices.map { Self.siluRef(xd[$0]) * Double(up[$0]) }, x)),
        ]
        for (name, m) in checks { #expect(m == nil, "\(name): \(m ?? "")") }
    }

    @Test("activation tails: large |x| saturates (silu/gelu → x or −0), in place works")
    func tails() {
        var x: [Float] = [-100, -30, -10, 10, 30, 100, 0, 1e-8]
        x.opsWrite { Ops.gelu($0, out: $0, n: 8) }
        #expect(x[0] == 0 && x[1] == 0 && x[3] == 10 && x[4] == 30 && x[5] == 100 && x[6] == 0)
        var y: [Float] = [-200, 200, 0]
        y.opsWrite { Ops.silu($0, out: $0, n: 3) }
        #expect(y == [0, 200, 0])
        var z: [Float] = [-40, 40, 0]
        z.opsWrite { Ops.geluErf($0, out: $0, n: 3) }
        #expect(z == [0, 40, 0])
        // gelu and geluErf are different functions (4.7e-4 apart at x ≈ −2.7).
        var a: [Float] = [-2.7], b: [Float] = [-2.7]
        a.opsWrite { Ops.gelu($0, out: $0, n: 1) }
        b.opsWrite { Ops.geluErf($0, out: $0, n: 1) }
        #expect(abs(a[0] - b[0]) > 4e-4)
    }
}
