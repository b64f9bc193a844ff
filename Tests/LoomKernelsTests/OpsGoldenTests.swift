// Ops against independent numpy goldens (Fixtures/kernels/ops-goldens.json, made by
// Scripts/make_ops_goldens.py in float64 from the textbook formulas).

import Foundation
import Testing
@testable import LoomKernels

@Suite("Ops: numpy goldens")
struct OpsGoldenTests {
    struct RoPECase: Decodable {
        let nTokens: Int, nHeads: Int, headDim: Int, nRot: Int
        let freqBase: Float, freqScale: Float
        let positions: [Int32], x: [Float], out: [Double]
    }
    struct UnaryCase: Decodable { let x: [Float], out: [Double] }
    struct RMSCase: Decodable { let eps: Float, x: [Float], weight: [Float], out: [Double] }
    struct AttentionCase: Decodable {
        let nTokens: Int, nHead: Int, nKvHead: Int, headDim: Int, nKv: Int, pos0: Int
        let q: [Float], k: [Float], v: [Float], out: [Double]
    }
    struct Cases: Decodable {
        let ropeNormal: RoPECase, ropeNeox: RoPECase, gelu: UnaryCase, rmsNorm: RMSCase
        let attention: AttentionCase
    }
    struct File: Decodable { let cases: Cases }

    static func load() throws -> Cases {
        let data = try Data(contentsOf: URL(fileURLWithPath: OpsSupport.fixture("kernels/ops-goldens.json")))
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return try decoder.decode(File.self, from: data).cases
    }

    @Test("RoPE normal and neox (nRot < headDim, freqScale 0.25): direct and cached, abs 2e-5")
    func rope() throws {
        let cases = try Self.load()
        for (c, style) in [(cases.ropeNormal, RoPEStyle.normal), (cases.ropeNeox, .neox)] {
            #expect(c.nRot < c.headDim && c.freqScale != 1)
            let cache = RoPECache(maxPositions: Int(c.positions.max()!) + 1, nRot: c.nRot,
                                  freqBase: c.freqBase, freqScale: c.freqScale)
            var direct = c.x, cached = c.x
            c.positions.withUnsafeBufferPointer { pp in
                direct.opsWrite {
                    Ops.rope($0, positions: pp.baseAddress!, nTokens: c.nTokens, nHeads: c.nHeads,
                             headDim: c.headDim, nRot: c.nRot, freqBase: c.freqBase,
                             freqScale: c.freqScale, style: style)
                }
                cached.opsWrite {
                    Ops.rope($0, positions: pp.baseAddress!, nTokens: c.nTokens, nHeads: c.nHeads,
                             headDim: c.headDim, cache: cache, style: style)
                }
            }
            let m = OpsSupport.mismatch(direct, c.out, rtol: 0, atol: 2e-5)
            #expect(m == nil, "\(style): \(m ?? "")")
            #expect(cached == direct)
        }
        #expect(cases.ropeNormal.out != cases.ropeNeox.out)
    }

    @Test("gelu (tanh form): 2e-6 relative + 1e-7·(1 + |x|)")
    func gelu() throws {
        let c = try Self.load().gelu
        var y = c.x
        y.opsWrite { Ops.gelu($0, out: $0, n: c.x.count) }
        #expect(OpsActivationTests.check(y, c.out, c.x) == nil, "\(OpsActivationTests.check(y, c.out, c.x) ?? "")")
    }

    @Test("rmsNorm with weight: 1e-5 of max |y|")
    func rmsNorm() throws {
        let c = try Self.load().rmsNorm
        var y = [Float](repeating: .nan, count: c.x.count)
        c.x.opsRead { xp in c.weight.opsRead { wp in
            y.opsWrite { Ops.rmsNorm(xp, weight: wp, out: $0, n: c.x.count, eps: c.eps) }
        } }
        #expect(OpsNormTests.check(y, c.out) == nil, "\(OpsNormTests.check(y, c.out) ?? "")")
    }

    @Test("GQA causal attention (4 heads / 2 KV heads, dim 8, 3 tokens at pos0 2): 2e-5 of max |out|")
    func attention() throws {
        let c = try Self.load().attention
        let s = AttentionShape(nTokens: c.nTokens, nHead: c.nHead, nKVHead: c.nKvHead,
                               headDim: c.headDim, nKV: c.nKv, pos0: c.pos0)
        var out = [Float](repeating: .nan, count: c.q.count)
        OpsAttentionTests.run(c.q, c.k, c.v, s, into: &out)
        #expect(OpsAttentionTests.check(out, c.out) == nil, "\(OpsAttentionTests.check(out, c.out) ?? "")")
        // The scalar Swift reference agrees with numpy too (it uses the f32-rounded scale 1/√8).
        let ref = attentionReference(q: c.q, k: c.k.map(Double.init), v: c.v.map(Double.init), shape: s)
        #expect(zip(ref, c.out).allSatisfy { abs($0 - $1) < 1e-6 })
    }
}
