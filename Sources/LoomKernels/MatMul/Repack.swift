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
// (Q5_x's high bits are rearranged to match, see Blocks/Q5_0/HighBits.swift.)
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

    /// Rearranges `rows` row-major rows of `cols` elements (`elementBytes` each, F32 or F16) into
    /// panel16 order at `out`: panel p, column c, lane i = row 16p+i; rows past `rows` are zero.
    static func panels16(_ src: UnsafeRawPointer, rows: Int, cols: Int, elementBytes: Int, into out: UnsafeMutableRawPointer) {
        out.initializeMemory(as: UInt8.self, repeating: 0, count: (rows + 15) / 16 * 16 * cols * elementBytes)
        if elementBytes == 2 {
            panels16(src.assumingMemoryBound(to: UInt16.self), rows: rows, cols: cols, into: out.assumingMemoryBound(to: UInt16.self))
        } else {
            panels16(src.assumingMemoryBound(to: UInt32.self), rows: rows, cols: cols, into: out.assumingMemoryBound(to: UInt32.self))
        }
    }

    /// panels16 for one element width (the bits are moved, not converted).
    static func panels16<T>(_ src: UnsafePointer<T>, rows: Int, cols: Int, into out: UnsafeMutablePointer<T>) {
        for r in 0..<rows {
            let row = src + r * cols, base = out + (r / 16) * 16 * cols + r % 16
            for c in 0..<cols { base[16 * c] = row[c] }
        }
    }
}

/// The pieces records are made of: fp16 scalars gathered per row into 16-byte vectors, and 4-byte
/// quant words interleaved into 32-byte chunks. `src` points at one block of row 0; row r's block
/// is at src + r · rowBytes.
enum Interleave8 {
    /// `count` fp16 scalars per block (d, then m) → `count` vectors of 8 rows' scalars.
    @inline(__always)
    static func packScales(_ src: UnsafeRawPointer, rowBytes: Int, count: Int, into record: UnsafeMutableRawPointer) {
        for r in 0..<8 {
            for s in 0..<count {
                record.storeBytes(of: src.loadUnaligned(fromByteOffset: r * rowBytes + 2 * s, as: UInt16.self),
                                  toByteOffset: 16 * s + 2 * r, as: UInt16.self)
            }
        }
    }

    /// `count` 4-byte words per block → `count` chunks of 8 rows' words.
    @inline(__always)
    static func packWords(_ src: UnsafeRawPointer, rowBytes: Int, count: Int, into record: UnsafeMutableRawPointer) {
        for r in 0..<8 {
            for c in 0..<count {
                record.storeBytes(of: src.loadUnaligned(fromByteOffset: r * rowBytes + 4 * c, as: UInt32.self),
                                  toByteOffset: 32 * c + 4 * r, as: UInt32.self)
            }
        }
    }

    /// Lane `lane`'s scalars back into its block.
    @inline(__always)
    static func unpackScales(_ record: UnsafeRawPointer, lane: Int, count: Int, into block: UnsafeMutableRawPointer) {
        for s in 0..<count {
            block.storeBytes(of: record.loadUnaligned(fromByteOffset: 16 * s + 2 * lane, as: UInt16.self), toByteOffset: 2 * s, as: UInt16.self)
        }
    }

    /// Lane `lane`'s words back into its block.
    @inline(__always)
    static func unpackWords(_ record: UnsafeRawPointer, lane: Int, count: Int, into block: UnsafeMutableRawPointer) {
        for c in 0..<count {
            block.storeBytes(of: record.loadUnaligned(fromByteOffset: 32 * c + 4 * lane, as: UInt32.self), toByteOffset: 4 * c, as: UInt32.self)
        }
    }
}
