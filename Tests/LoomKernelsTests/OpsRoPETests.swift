// RoPE (normal and neox, partial rotary, linear scaling) against Double math; cache vs direct.

import Foundation
import Testing
@testable import LoomKernels

@Suite("Ops: RoPE")
struct OpsRoPETests {
    struct Case: CustomStringConvertible, Sendable {
        var nTokens: Int, nHeads: Int, headDim: Int, nRot: Int
        var freqBase: Float, freqScale: Float
        var description: String { "t\(nTokens) h\(nHeads) d\(headDim) rot\(nRot) s\(freqScale)" }
    }

    static let cases: [Case] = [
        Case(nTokens: 1, nHeads: 9, headDim: 64, nRot: 64, freqBase: 10000, freqScale: 1),   // SmolLM2
        Case(nTokens: 5, nHeads: 3, headDim: 64, nRot: 64, freqBase: 100_000, freqScale: 1),
        Case(nTokens: 4, nHeads: 2, headDim: 80, nRot: 32, freqBase: 10000, freqScale: 0.25), // partial
        Case(nTokens: 3, nHeads: 2, headDim: 6, nRot: 6, freqBase: 500, freqScale: 1),
        Case(nTokens: 2, nHeads: 1, headDim: 3, nRot: 2, freqBase: 10000, freqScale: 2),
        Case(nTokens: 6, nHeads: 4, headDim: 128, nRot: 128, freqBase: 1_000_000, freqScale: 0.5),
        Case(nTokens: 2, nHeads: 2, headDim: 34, nRot: 34, freqBase: 10000, freqScale: 1),   // half 17
    ]

    /// Textbook RoPE in Double: θᵢ = freqScale · pos · base^(−2i/nRot).
    static func ref(_ x: [Float], _ pos: [Int32], _ c: Case, _ style: RoPEStyle) -> [Double] {
        var y = x.map(Double.init)
        let half = c.nRot / 2
        for t in 0..<c.nTokens {
            for h in 0..<c.nHeads {
                let base = (t * c.nHeads + h) * c.headDim
                for i in 0..<half {
                    let theta = Double(c.freqScale) * Double(pos[t])
                        * pow(Double(c.freqBase), -2 * Double(i) / Double(c.nRot))
                    let (a, b) = style == .normal ? (base + 2 * i, base + 2 * i + 1) : (base + i, base + i + half)
                    let x0 = y[a], x1 = y[b]
                    y[a] = x0 * cos(theta) - x1 * sin(theta)
                    y[b] = x0 * sin(theta) + x1 * cos(theta)
                }
            }
        }
        return y
    }

    static func runDirect(_ x: [Float], _ pos: [Int32], _ c: Case, _ style: RoPEStyle) -> [Float] {
        var y = x
        pos.withUnsafeBufferPointer { pp in
            y.opsWrite {
                Ops.rope($0, positions: pp.baseAddress!, nTokens: c.nTokens, nHeads: c.nHeads,
                         headDim: c.headDim, nRot: c.nRot, freqBase: c.freqBase,
                         freqScale: c.freqScale, style: style)
            }
        }
        return y
    }

    static func runCached(_ x: [Float], _ pos: [Int32], _ c: Case, _ style: RoPEStyle) -> [Float] {
        let cache = RoPECache(maxPositions: Int(pos.max()!) + 1, nRot: c.nRot,
                              freqBase: c.freqBase, freqScale: c.freqScale)
        var y = x
        pos.withUnsafeBufferPointer { pp in
            y.opsWrite {
                Ops.rope($0, positions: pp.baseAddress!, nTokens: c.nTokens, nHeads: c.nHeads,
                         headDim: c.headDim, cache: cache, style: style)
            }
        }
        return y
    }

    /// f32 angles (ggml's θ ← θ·thetaScale recurrence) lose ≈ 1e-7·pos radians: tolerance grows with pos.
    @Test("cached and direct RoPE match Double math; both styles", arguments: cases)
    func matchesReference(c: Case) {
        var rng = OpsSupport.SplitMix64(seed: UInt64(c.headDim * 31 + c.nRot))
        let pos = (0..<c.nTokens).map { _ in Int32.random(in: 0..<600, using: &rng) }
        let x = OpsSupport.random(c.nTokens * c.nHeads * c.headDim, seed: UInt64(c.nHeads) + 40)
        for style in [RoPEStyle.normal, .neox] {
            let want = Self.ref(x, pos, c, style)
            let direct = Self.runDirect(x, pos, c, style)
            let cached = Self.runCached(x, pos, c, style)
            #expect(direct == cached, "\(style): the cache must reproduce the direct path exactly")
            let atol = 1e-5 + 3e-7 * Double(pos.max()!) * 3
            let m = OpsSupport.mismatch(direct, want, rtol: 0, atol: atol)
            #expect(m == nil, "\(style) pos \(pos): \(m ?? "")")
            // The dims past nRot are untouched, bit for bit.
            for t in 0..<c.nTokens * c.nHeads {
                let row = t * c.headDim
                #expect(direct[(row + c.nRot)..<(row + c.headDim)] == x[(row + c.nRot)..<(row + c.headDim)])
            }
        }
    }

    @Test("position 0 is the identity; normal and neox differ elsewhere")
    func identityAndStyles() {
        let c = Case(nTokens: 1, nHeads: 2, headDim: 16, nRot: 16, freqBase: 10000, freqScale: 1)
        let x = OpsSupport.random(32, seed: 3)
        #expect(Self.runDirect(x, [0], c, .normal) == x)
        #expect(Self.runCached(x, [0], c, .neox) == x)
        let normal = Self.runCached(x, [5], c, .normal), neox = Self.runCached(x, [5], c, .neox)
        #expect(normal != x && neox != x)
        #expect(zip(normal, neox).map { abs($0 - $1) }.max()! > 0.1)
        // A rotation preserves the norm of each pair, hence of each head.
        let norm = { (v: ArraySlice<Float>) in v.reduce(0.0) { $0 + Double($1) * Double($1) } }
        #expect(abs(norm(normal[0..<16]) - norm(x[0..<16])) < 1e-4)
        #expect(abs(norm(neox[16..<32]) - norm(x[16..<32])) < 1e-4)
    }

    @Test("normal style rotates (x0, x1) by pos·1 radians in the first pair; neox pairs (x0, x8)")
    func firstPairAngle() {
        let c = Case(nTokens: 1, nHeads: 1, headDim: 16, nRot: 16, freqBase: 10000, freqScale: 1)
        var x = [Float](repeating: 0, count: 16)
        x[0] = 1
        let normal = Self.runDirect(x, [2], c, .normal), neox = Self.runDirect(x, [2], c, .neox)
        #expect(abs(normal[0] - Float(cos(2.0))) < 1e-6 && abs(normal[1] - Float(sin(2.0))) < 1e-6)
        #expect(abs(neox[0] - Float(cos(2.0))) < 1e-6 && abs(neox[8] - Float(sin(2.0))) < 1e-6)
        #expect(neox[1] == 0 && normal[8] == 0)
    }

    @Test("RoPECache holds ggml's f32 angles: pair 0 is pos·freqScale, the last is tiny")
    func cacheValues() {
        let cache = RoPECache(maxPositions: 100, nRot: 64, freqBase: 10000, freqScale: 0.5)
        #expect(cache.cos(position: 0, pair: 5) == 1 && cache.sin(position: 0, pair: 5) == 0)
        #expect(cache.cos(position: 42, pair: 0) == cosf(21) && cache.sin(position: 42, pair: 0) == sinf(21))
        let last = 0.5 * 99 * pow(10000.0, -62.0 / 64)
        #expect(abs(Double(cache.sin(position: 99, pair: 31)) - sin(last)) < 1e-7)
    }
}
