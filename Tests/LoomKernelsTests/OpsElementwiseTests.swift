// add, mul, scale, addInPlace: one IEEE operation per element, so results must be bit-exact.

import Testing
@testable import LoomKernels

@Suite("Ops: elementwise")
struct OpsElementwiseTests {
    @Test("add, mul, scale, addInPlace are exact at every size", arguments: OpsSupport.sizes)
    func exact(n: Int) {
        let a = OpsSupport.random(n, seed: UInt64(n) * 3 + 1)
        let b = OpsSupport.random(n, seed: UInt64(n) * 3 + 2)
        var sum = [Float](repeating: .nan, count: n)
        var prod = sum, scaled = sum
        a.opsRead { ap in b.opsRead { bp in
            sum.opsWrite { Ops.add(ap, bp, out: $0, n: n) }
            prod.opsWrite { Ops.mul(ap, bp, out: $0, n: n) }
            scaled.opsWrite { Ops.scale(ap, by: -0.37, out: $0, n: n) }
        } }
        #expect(sum == zip(a, b).map { $0 + $1 })
        #expect(prod == zip(a, b).map { $0 * $1 })
        #expect(scaled == a.map { $0 * -0.37 })

        var acc = a
        b.opsRead { bp in acc.opsWrite { Ops.addInPlace($0, bp, n: n) } }
        #expect(acc == sum)
    }

    @Test("outputs may alias either input")
    func aliasing() {
        let n = 37
        let a = OpsSupport.random(n, seed: 5), b = OpsSupport.random(n, seed: 6)
        var x = a
        b.opsRead { bp in x.opsWrite { Ops.mul($0, bp, out: $0, n: n) } }
        #expect(x == zip(a, b).map { $0 * $1 })
        var y = b
        a.opsRead { ap in y.opsWrite { Ops.add(ap, $0, out: $0, n: n) } }
        #expect(y == zip(a, b).map { $0 + $1 })
        var z = a
        z.opsWrite { Ops.scale($0, by: 2, out: $0, n: n) }
        #expect(z == a.map { $0 * 2 })
    }

    @Test("elements past n are not written")
    func bounds() {
        var out = [Float](repeating: 42, count: 20)
        let a = OpsSupport.random(20, seed: 9)
        a.opsRead { ap in out.opsWrite { Ops.add(ap, ap, out: $0, n: 13) } }
        #expect(out[13...].allSatisfy { $0 == 42 })
        #expect(out[12] == a[12] * 2)
    }
}
