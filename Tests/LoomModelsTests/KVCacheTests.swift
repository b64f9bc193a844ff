// The KV cache's element types: q8_0 / q4_0 rows are ggml's blocks of each head row, rotated as
// llama.cpp rotates them (the bytes of LoomKernels' reference quantizers, which are bit-exact with
// gguf.quants), reads dequantize and rotate back, attention through a rotated cache matches the f32
// cache's within the quantization error, the sizes are 34/64 and 18/64 of f16; and perplexity of SmolLM2 Q4_0 over GPL-3 (ctx 512) with a
// q8_0 cache within 0.5% of the f16 cache's (q4_0 printed, not asserted).

import Foundation
import LoomGGUF
import LoomKernels
@testable import LoomModels
import LoomRuntime
import LoomTensor
import LoomTokenizers
import Testing

@Suite("KV cache types")
struct KVCacheTypeTests {
    @Test("q8_0 / q4_0 rows are each head's ggml blocks of H·x (64-wide Walsh–Hadamard, llama.cpp's); rows read back",
          arguments: [KVCacheType.q8_0, .q4_0], [true, false])
    func storedBytes(type: KVCacheType, rotate: Bool) {
        let kvHeads = 3, headDim = 64, width = kvHeads * headDim, rows = 5
        let cache = KVCache(layers: 2, capacity: 8, kvHeads: kvHeads, headDim: headDim, type: type, rotate: rotate)
        #expect(cache.keyRotation == (rotate ? 64 : 0) && cache.valueRotation == (rotate ? 64 : 0))
        var rng = SystemRandomNumberGenerator()
        let keys = (0..<(rows * width)).map { _ in Float.random(in: -3...3, using: &rng) }
        let values = (0..<(rows * width)).map { _ in Float.random(in: -1...1, using: &rng) }
        keys.withUnsafeBufferPointer { k in values.withUnsafeBufferPointer { v in
            cache.store(layer: 1, position: 2, rows: rows, keys: k.baseAddress!, values: v.baseAddress!)
        } }
        cache.count = 2 + rows
        let blockBytes = type.ggmlType.bytesPerBlock
        for (isKey, x) in [(true, keys), (false, values)] {
            for r in 0..<rows {
                var want: [UInt8] = [], back: [Float] = []
                for h in 0..<kvHeads {   // each head row rotated and quantized on its own
                    var head = [UInt8](repeating: 0, count: headDim / 32 * blockBytes)
                    let start = r * width + h * headDim
                    var values = Array(x[start..<(start + headDim)])
                    if rotate { values.withUnsafeMutableBufferPointer { Ops.hadamard($0.baseAddress!, count: headDim, block: 64) } }
                    var deq = [Float](repeating: 0, count: headDim)
                    values.withUnsafeBufferPointer { src in
                        head.withUnsafeMutableBytes { dst in
                            if type == .q8_0 { Q8_0.quantize(src.baseAddress!, count: headDim, into: dst.baseAddress!) }
                            else { Q4_0.quantize(src.baseAddress!, count: headDim, into: dst.baseAddress!) }
                        }
                    }
                    head.withUnsafeBytes { b in deq.withUnsafeMutableBufferPointer { o in
                        if type == .q8_0 { Q8_0.dequantize(b.baseAddress!, count: headDim, into: o.baseAddress!) }
                        else { Q4_0.dequantize(b.baseAddress!, count: headDim, into: o.baseAddress!) }
                        if rotate { Ops.hadamard(o.baseAddress!, count: headDim, block: 64) }
                    } }
                    want += head
                    back += deq
                }
                #expect(cache.rawRow(keys: isKey, layer: 1, position: 2 + r) == want, "\(type) keys \(isKey) row \(r)")
                #expect(cache.row(keys: isKey, layer: 1, position: 2 + r) == back)
            }
        }
    }

    @Test("rotation blocks follow llama.cpp: quantized types and headDim % 64 == 0 only")
    func rotationRule() {
        #expect(KVCacheType.q8_0.rotation(headDim: 64) == (64, 64))
        #expect(KVCacheType.q4_0.rotation(headDim: 128) == (128, 64))
        #expect(KVCacheType.q8_0.rotation(headDim: 192) == (64, 64))
        #expect(KVCacheType.q8_0.rotation(headDim: 256) == (256, 64))
        #expect(KVCacheType.q8_0.rotation(headDim: 96) == (0, 0))
        #expect(KVCacheType.q8_0.rotation(headDim: 32) == (0, 0))
        #expect(KVCacheType.f16.rotation(headDim: 64) == (0, 0))
        #expect(KVCache(layers: 1, capacity: 4, kvHeads: 2, headDim: 128, type: .q4_0).keyRotation == 128)
        #expect(KVCache(layers: 1, capacity: 4, kvHeads: 2, headDim: 128, type: .q4_0, rotate: false).keyRotation == 0)
    }

    @Test("attention through a rotated quantized cache stays within the quantization error of the f32 cache's",
          arguments: [(KVCacheType.q8_0, 64), (.q8_0, 128), (.q4_0, 64), (.q4_0, 128)])
    func rotatedAttention(type: KVCacheType, headDim: Int) {
        let kvHeads = 2, nHead = 6, n = 50, width = kvHeads * headDim
        var rng = SystemRandomNumberGenerator()
        let keys = (0..<(n * width)).map { _ in Float.random(in: -2...2, using: &rng) }
        let values = (0..<(n * width)).map { _ in Float.random(in: -1...1, using: &rng) }
        let q = (0..<(nHead * headDim)).map { _ in Float.random(in: -2...2, using: &rng) }
        let shape = AttentionShape(nTokens: 1, nHead: nHead, nKVHead: kvHeads, headDim: headDim, nKV: n, pos0: n - 1)
        func attend(_ cache: KVCache) -> [Float] {
            keys.withUnsafeBufferPointer { k in values.withUnsafeBufferPointer { v in
                cache.store(layer: 0, position: 0, rows: n, keys: k.baseAddress!, values: v.baseAddress!)
            } }
            cache.count = n
            var qc = q, out = [Float](repeating: .nan, count: q.count), scratch = [Float](repeating: 0, count: shape.scratchCount)
            qc.withUnsafeMutableBufferPointer { qp in out.withUnsafeMutableBufferPointer { op in scratch.withUnsafeMutableBufferPointer { sp in
                cache.attention(layer: 0, q: qp.baseAddress!, out: op.baseAddress!, shape: shape, heads: 0..<nHead,
                                scratch: sp.baseAddress!, scratchCount: shape.scratchCount)
            } } }
            return out
        }
        let exact = attend(KVCache(layers: 1, capacity: n, kvHeads: kvHeads, headDim: headDim, type: .f32))
        let rotated = attend(KVCache(layers: 1, capacity: n, kvHeads: kvHeads, headDim: headDim, type: type))
        let plain = attend(KVCache(layers: 1, capacity: n, kvHeads: kvHeads, headDim: headDim, type: type, rotate: false))
        let scale = exact.map(abs).max() ?? 1
        let errRotated = zip(rotated, exact).map { abs($0 - $1) }.max() ?? .infinity
        let errPlain = zip(plain, exact).map { abs($0 - $1) }.max() ?? .infinity
        print("\(type) headDim \(headDim): max |Δ| vs f32 rotated \(errRotated), not rotated \(errPlain) (max |out| \(scale))")
        #expect(errRotated < (type == .q8_0 ? 0.02 : 0.3) * scale)
        #expect(errPlain < (type == .q8_0 ? 0.02 : 0.3) * scale)
    }

    @Test("KV bytes: q8_0 is 34/64 of f16, q4_0 18/64 (SmolLM2 at 4096 positions)")
    func bytes() {
        func size(_ t: KVCacheType) -> Int { KVCache(layers: 30, capacity: 4096, kvHeads: 3, headDim: 64, type: t).byteCount }
        let f16 = size(.f16)
        #expect(f16 == 2 * 30 * 4096 * 192 * 2)
        #expect(size(.f32) == 2 * f16)
        #expect(size(.q8_0) * 64 == f16 * 34)
        #expect(size(.q4_0) * 64 == f16 * 18)
        print("SmolLM2 KV cache at 4096 positions: f32 \(size(.f32)) B, f16 \(f16) B, q8_0 \(size(.q8_0)) B "
              + "(\(Double(size(.q8_0)) / Double(f16))×), q4_0 \(size(.q4_0)) B (\(Double(size(.q4_0)) / Double(f16))×)")
        #expect(KVCacheType.q8_0.supports(headDim: 64) && KVCacheType.q4_0.supports(headDim: 128))
        #expect(!KVCacheType.q8_0.supports(headDim: 80) && KVCacheType.f16.supports(headDim: 80))
    }

    @Test("perplexity of SmolLM2 Q4_0 over GPL-3 (ctx 512): q8_0 KV within 0.5% of f16 KV; q4_0 reported",
          .enabled(if: FileManager.default.fileExists(atPath: ModelFixtures.path(variant: "Q4_0"))))
    func perplexity() throws {
        let info = try ModelInfo(path: ModelFixtures.path(variant: "Q4_0"))
        let vocabulary = try Vocabulary(metadata: info.file.metadata)
        let text = try String(contentsOfFile: ModelFixtures.root + "/Fixtures/text/GPL-3.txt", encoding: .utf8)
        let tokens = try Tokenizers.make(vocabulary).encode(text, addSpecial: true, parseSpecial: false)
        let model = try info.loadDecoder()
        let pool = ThreadPool(threads: 2)
        var ppl: [KVCacheType: Double] = [:]
        for type in [KVCacheType.f16, .q8_0, .q4_0] {
            let r = model.perplexity(tokens, chunk: 512, bos: vocabulary.addBOS ? vocabulary.bos : nil, cacheType: type, pool: pool)
            ppl[type] = r.perplexity
            print("perplexity SmolLM2 Q4_0, GPL-3, ctx 512, \(type) KV: \(String(format: "%.4f", r.perplexity)) over \(r.nll.count) tokens")
        }
        let f16 = try #require(ppl[.f16]), q8 = try #require(ppl[.q8_0]), q4 = try #require(ppl[.q4_0])
        print("q8_0 / f16 = \(String(format: "%.5f", q8 / f16)), q4_0 / f16 = \(String(format: "%.5f", q4 / f16))")
        #expect(f16.isFinite && q4.isFinite)
        #expect(abs(q8 / f16 - 1) < 0.005, "q8_0 KV \(q8) vs f16 KV \(f16)")
    }
}
