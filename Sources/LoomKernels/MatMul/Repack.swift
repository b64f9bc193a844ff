// Repack: GGUF blocks → the interleaved8 records the AVX2 int8 kernels stream.
//
// For a group of 8 rows r0…r7 and one 32-column block b, one record of 8 · bytesPerBlock bytes;
// each type's folder gives its record (Int8Format.packRecord / unpackRecord):
//   Q4_0 (144 B): [d r0…r7: 8 × fp16][chunk 0][chunk 1][chunk 2][chunk 3]
//   Q4_1 (160 B): [d r0…r7][m r0…r7][chunk 0 … chunk 3]
//   Q5_0 (176 B): [d r0…r7][high bits r0…r7: 32 B][chunk 0 … chunk 3]
//   Q5_1 (192 B): [d r0…r7][m r0…r7][high bits r0…r7: 32 B][chunk 0 … chunk 3]
//   Q8_0 (272 B): [d r0…r7][chunk 0 … chunk 7]
// Chunk c is 32 bytes: for each row r in order, 4 bytes of that row's quants — for Q4_x/Q5_x the
// ggml bytes qs[4c…4c+3] (low nibbles = elements 4c…4c+3, high nibbles = elements 16+4c…16+4c+3),
// for Q8_0 the int8 values of elements 4c…4c+3. So a 32-bit lane of a chunk belongs to one row, and
// `vpmaddubsw` + `vpmaddwd` against 4 broadcast activation bytes gives 8 rows' partial dots at once.
// (Q5_x's fifth bits are rearranged to match, see Interleave8 below and Blocks/Q5_0/FiveBit.swift.)
// Each 32-element type gives its record as a RecordLayout (Interleaved32Format.record); the
// K-quants (256-element super-blocks) transpose their fields instead (Blocks/Q4_K/KQuant.swift).
// Records are stored group-major: (g, b) at ((g · blocks) + b) · recordBytes.

import LoomTensor

enum Repack {
    /// Rearranges `rows` (a multiple of 8) GGUF rows of `format` into interleaved8 records at `out`.
    static func interleave8<F: Int8Format>(_ format: F.Type, _ src: UnsafeRawPointer, rows: Int, rowBytes: Int,
                                           into out: UnsafeMutableRawPointer) {
        let blocks = rowBytes / F.bytesPerBlock, record = F.recordBytes
        for g in 0..<rows / 8 {
            for b in 0..<blocks {
                F.packRecord(src + g * 8 * rowBytes + b * F.bytesPerBlock, rowBytes: rowBytes, into: out + (g * blocks + b) * record)
            }
        }
    }

    /// Rearranges `rows` row-major rows of `cols` elements of `type` (F32, F16 or BF16) into panel16
    /// order at `out`: panel p, column c, lane `panelLane(type, i)` = row 16p+i; rows past `rows` are zero.
    static func panels16(_ src: UnsafeRawPointer, type: GGMLType, rows: Int, cols: Int, into out: UnsafeMutableRawPointer) {
        let elementBytes = type == .f32 ? 4 : 2
        out.initializeMemory(as: UInt8.self, repeating: 0, count: (rows + 15) / 16 * 16 * cols * elementBytes)
        if elementBytes == 2 {
            panels16(src.assumingMemoryBound(to: UInt16.self), type: type, rows: rows, cols: cols, into: out.assumingMemoryBound(to: UInt16.self))
        } else {
            panels16(src.assumingMemoryBound(to: UInt32.self), type: type, rows: rows, cols: cols, into: out.assumingMemoryBound(to: UInt32.self))
        }
    }

    /// panels16 for one element width (the bits are moved, not converted).
    static func panels16<T>(_ src: UnsafePointer<T>, type: GGMLType, rows: Int, cols: Int, into out: UnsafeMutablePointer<T>) {
        for r in 0..<rows {
            let row = src + r * cols, base = out + (r / 16) * 16 * cols + panelLane(type, r % 16)
            for c in 0..<cols { base[16 * c] = row[c] }
        }
    }

    /// The lane of row i (0…15) within a panel column: i itself, except BF16, whose 32-bit word j
    /// holds rows j (low half) and 8 + j (high half), so that one load widens to rows 0–7 and 8–15
    /// (GEMM+Panel.swift, BF16Panel).
    @inline(__always)
    static func panelLane(_ type: GGMLType, _ i: Int) -> Int {
        type == .bf16 ? 2 * (i % 8) + i / 8 : i
    }
}

/// Where a block's parts go in its interleaved8 record. A block is [scales × fp16][fifth bits:
/// uint32, Q5_x only][words × 4 bytes of quants]; its record is [scales × 16 B: the 8 rows' fp16
/// values side by side][fifth bits: 32 B, see below][words × 32 B chunks: the 8 rows' words].
struct RecordLayout {
    /// fp16 scalars at the start of a block (1: d; 2: d and m).
    let scales: Int
    /// Whether a uint32 of fifth bits follows the scalars (Q5_0, Q5_1).
    let fifthBits: Bool
    /// 4-byte quant words per block (4 for 16 bytes of nibbles, 8 for 32 int8 values).
    let words: Int

    /// Bytes of one block.
    var blockBytes: Int { 2 * scales + (fifthBits ? 4 : 0) + 4 * words }
}

/// Packing and unpacking records by their layout. `src` points at one block of row 0; row r's
/// block is at src + r · rowBytes.
///
/// Fifth bits (Q5_x): the record's 32-byte vector has, for row r, byte 4r + i (i < 4, the byte of
/// a chunk lane) with bit c = bit 4 of element 4c + i and bit 4 + c = bit 4 of element 16 + 4c + i
/// (c < 4), so that one shift and one mask put a whole chunk's fifth bits in place (FiveBit.swift).
enum Interleave8 {
    /// The record of the blocks of 8 rows at `src` (row stride `rowBytes`).
    static func pack(_ layout: RecordLayout, _ src: UnsafeRawPointer, rowBytes: Int, into record: UnsafeMutableRawPointer) {
        let high = 2 * layout.scales, words = high + (layout.fifthBits ? 4 : 0)
        let chunks = 16 * layout.scales + (layout.fifthBits ? 32 : 0)
        for r in 0..<8 {
            let block = src + r * rowBytes
            for s in 0..<layout.scales {
                record.storeBytes(of: block.loadUnaligned(fromByteOffset: 2 * s, as: UInt16.self), toByteOffset: 16 * s + 2 * r, as: UInt16.self)
            }
            if layout.fifthBits {
                let qh = block.loadUnaligned(fromByteOffset: high, as: UInt32.self)
                for i in 0..<4 {
                    var byte: UInt32 = 0
                    for c in 0..<4 { byte |= (qh >> UInt32(4 * c + i) & 1) << UInt32(c) | (qh >> UInt32(16 + 4 * c + i) & 1) << UInt32(4 + c) }
                    record.storeBytes(of: UInt8(byte), toByteOffset: 16 * layout.scales + 4 * r + i, as: UInt8.self)
                }
            }
            for c in 0..<layout.words {
                record.storeBytes(of: block.loadUnaligned(fromByteOffset: words + 4 * c, as: UInt32.self), toByteOffset: chunks + 32 * c + 4 * r, as: UInt32.self)
            }
        }
    }

    /// Lane `lane`'s block back from a record.
    static func unpack(_ layout: RecordLayout, _ record: UnsafeRawPointer, lane: Int, into block: UnsafeMutableRawPointer) {
        let high = 2 * layout.scales, words = high + (layout.fifthBits ? 4 : 0)
        let chunks = 16 * layout.scales + (layout.fifthBits ? 32 : 0)
        for s in 0..<layout.scales {
            block.storeBytes(of: record.loadUnaligned(fromByteOffset: 16 * s + 2 * lane, as: UInt16.self), toByteOffset: 2 * s, as: UInt16.self)
        }
        if layout.fifthBits {
            var qh: UInt32 = 0
            for i in 0..<4 {
                let byte = UInt32(record.load(fromByteOffset: 16 * layout.scales + 4 * lane + i, as: UInt8.self))
                for c in 0..<4 { qh |= (byte >> UInt32(c) & 1) << UInt32(4 * c + i) | (byte >> UInt32(4 + c) & 1) << UInt32(16 + 4 * c + i) }
            }
            block.storeBytes(of: qh, toByteOffset: high, as: UInt32.self)
        }
        for c in 0..<layout.words {
            block.storeBytes(of: record.loadUnaligned(fromByteOffset: chunks + 32 * c + 4 * lane, as: UInt32.self), toByteOffset: words + 4 * c, as: UInt32.self)
        }
    }
}
