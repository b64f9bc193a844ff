// Repack: GGUF blocks → the interleaved8 records the AVX2 int8 kernels stream.
//
// For a group of 8 rows r0…r7 and one 32-column block b, one record:
//   Q4_0 (144 B): [d r0…r7: 8 × fp16][chunk 0][chunk 1][chunk 2][chunk 3]
//   Q4_1 (160 B): [d r0…r7][m r0…r7][chunk 0 … chunk 3]
//   Q8_0 (272 B): [d r0…r7][chunk 0 … chunk 7]
// Chunk c is 32 bytes: for each row r in order, 4 bytes of that row's quants — for Q4_x the ggml
// bytes qs[4c…4c+3] (low nibbles = elements 4c…4c+3, high nibbles = elements 16+4c…16+4c+3), for
// Q8_0 the int8 values of elements 4c…4c+3. So a 32-bit lane of a chunk belongs to one row, and
// `vpmaddubsw` + `vpmaddwd` against 4 broadcast activation bytes gives 8 rows' partial dots at once.
// Records are stored group-major: (g, b) at ((g · blocks) + b) · recordBytes.

import LoomTensor

enum Repack {
    /// Record size for the interleaved8 layout, or nil when the type has none.
    static func recordBytes(_ type: GGMLType) -> Int? {
        switch type {
        case .q4_0: return 144
        case .q4_1: return 160
        case .q8_0: return 272
        default: return nil
        }
    }

    /// Rearranges `rows` (a multiple of 8) GGUF rows into interleaved8 records at `out`.
    static func interleave8(_ type: GGMLType, _ src: UnsafeRawPointer, rows: Int, rowBytes: Int,
                            into out: UnsafeMutableRawPointer) {
        guard let record = recordBytes(type) else { return }
        let blockBytes = type.bytesPerBlock
        let blocks = rowBytes / blockBytes
        let scales = type == .q4_1 ? 2 : 1              // fp16 scalars at the front of a block
        let chunks = type == .q8_0 ? 8 : 4
        for g in 0..<rows / 8 {
            for b in 0..<blocks {
                let rec = out + (g * blocks + b) * record
                for r in 0..<8 {
                    let block = src + (g * 8 + r) * rowBytes + b * blockBytes
                    for s in 0..<scales {
                        let h = block.loadUnaligned(fromByteOffset: 2 * s, as: UInt16.self)
                        rec.storeBytes(of: h, toByteOffset: 16 * s + 2 * r, as: UInt16.self)
                    }
                    let quants = block + 2 * scales
                    for c in 0..<chunks {
                        let word = quants.loadUnaligned(fromByteOffset: 4 * c, as: UInt32.self)
                        rec.storeBytes(of: word, toByteOffset: 16 * scales + 32 * c + 4 * r, as: UInt32.self)
                    }
                }
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
