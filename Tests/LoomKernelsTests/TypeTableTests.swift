// The type table (TypeTable): each row implements the type it is filed under, with the block size
// the GGUF traits give (which Tests/LoomTensorTests checks against gguf-py); quantize writes exactly
// bytesPerBlock per block; interleaved8 records give every lane's block back; the derived sets.

import Testing
import LoomTensor
@testable import LoomKernels

@Suite("type table")
struct TypeTableTests {
    @Test("block layouts: ggml's sizeof(block_*) for the formats Loom implements")
    func blockSizes() throws {
        let sizes: [GGMLType: (Int, Int)] = [.f32: (1, 4), .f16: (1, 2), .bf16: (1, 2), .q4_0: (32, 2 + 16), .q4_1: (32, 2 + 2 + 16),
                                             .q5_0: (32, 2 + 4 + 16), .q5_1: (32, 2 + 2 + 4 + 16), .q8_0: (32, 2 + 32),
                                             .q2_K: (256, 16 + 64 + 2 + 2), .q3_K: (256, 32 + 64 + 12 + 2), .q4_K: (256, 2 + 2 + 12 + 128), .q5_K: (256, 2 + 2 + 12 + 32 + 128), .q6_K: (256, 128 + 64 + 16 + 2)]
        for (type, (block, bytes)) in sizes {
            let format = try #require(TypeTable.format(type), "\(type)")
            #expect(format.type == type)
            #expect(format.blockSize == block && format.bytesPerBlock == bytes, "\(type)")
        }
        #expect(Q8_1.type == .q8_1 && Q8_1.bytesPerBlock == 2 + 2 + 32)   // ggml's block_q8_1
    }

    @Test("quantize writes whole blocks and nothing past them", arguments: [GGMLType.f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K])
    func quantizeExtent(_ type: GGMLType) throws {
        let format = try #require(TypeTable.format(type))
        var rng = KernelRNG(UInt64(type.rawValue) + 40)
        let count = max(64, 2 * format.blockSize)
        let x = rng.floats(count)
        let bytes = count / format.blockSize * format.bytesPerBlock
        var out = [UInt8](repeating: 0xA5, count: bytes + 16)
        x.withUnsafeBufferPointer { xp in out.withUnsafeMutableBytes { format.quantize(xp.baseAddress!, count: count, into: $0.baseAddress!) } }
        #expect(out[bytes...].allSatisfy { $0 == 0xA5 }, "\(type) wrote past \(bytes) bytes")
    }

    @Test("interleaved8 records give every lane's GGUF block back", arguments: [GGMLType.q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q4_K, .q5_K, .q6_K])
    func records(_ type: GGMLType) throws {
        let format = try #require(TypeTable.int8(type))
        if let f32 = format as? any Interleaved32Format.Type { #expect(f32.record.blockBytes == format.bytesPerBlock) }
        var rng = KernelRNG(UInt64(type.rawValue) + 77)
        let cols = 3 * format.blockSize, rowBytes = try #require(type.byteCount(elements: cols))
        let rows = quantizeRows(rng.floats(8 * cols), rows: 8, cols: cols, type: type)
        var record = [UInt8](repeating: 0, count: format.recordBytes)
        var block = [UInt8](repeating: 0, count: format.bytesPerBlock)
        for b in 0..<cols / format.blockSize {
            rows.withUnsafeBytes { src in record.withUnsafeMutableBytes {
                format.packRecord(src.baseAddress! + b * format.bytesPerBlock, rowBytes: rowBytes, into: $0.baseAddress!)
            } }
            for lane in 0..<8 {
                record.withUnsafeBytes { rec in block.withUnsafeMutableBytes { format.unpackRecord(rec.baseAddress!, lane: lane, into: $0.baseAddress!) } }
                let start = lane * rowBytes + b * format.bytesPerBlock
                #expect(block == Array(rows[start..<start + format.bytesPerBlock]), "\(type) block \(b) lane \(lane)")
            }
        }
    }

    @Test("the sets the table derives")
    func sets() {
        #expect(TypeTable.convertible == [.f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q8_1, .q2_K, .q3_K, .q4_K, .q5_K, .q6_K])
        #expect(TypeTable.matmul == [.f32, .f16, .bf16, .q4_0, .q4_1, .q5_0, .q5_1, .q8_0, .q4_K, .q5_K, .q6_K])
        #expect(Dequantize.supportedTypes == TypeTable.convertible && Quantizer.supportedTypes == TypeTable.convertible)
        #expect(PackedMatrix.supportedTypes == TypeTable.matmul)
        #expect(TypeTable.format(.q8_K) == nil && TypeTable.int8(.f16) == nil && TypeTable.float(.q4_0) == nil)
    }
}
