// The 5-bit quants Q5_0 and Q5_1 share: 32 values per block as 16 bytes of low nibbles plus one
// uint32 of fifth bits, and how their interleaved8 records carry those fifth bits.
//
// GGUF block:  qh (uint32 LE): bit j = bit 4 of element j
//              qs[16]: low nibble of qs[j] = bits 0–3 of element j, high nibble = of element j + 16
//
// Record (Repack.swift, Interleave8 packs it): the 4 chunks hold qs exactly as Q4_x records do
// (chunk c, row r's lane = qs[4c…4c+3]), and a 32-byte high-bit vector precedes them, laid out so
// that one shift and one mask give the fifth bits of a whole chunk in place (bit 4 of each byte):
//   byte 4r + i (row r, byte i of a lane), bit c     = bit 4 of element 4c + i       (c < 4)
//                                          bit 4 + c = bit 4 of element 16 + 4c + i
//   chunk c's low values  = (qs & 0x0F)        | ((H << (4 − c)) & 0x10)
//   chunk c's high values = ((qs >> 4) & 0x0F) | ((H >> c) & 0x10)
// (16-bit lane shifts: the bits that cross into a neighbouring byte never reach its bit 4.)

#if LOOM_AVX2
import _Builtin_intrinsics.intel
#endif

enum FiveBit {
    /// Elements j and j + 16 (j < 16) of a block with nibbles at `qs` and fifth bits `qh`, 0…31.
    @inline(__always)
    static func pair(_ qs: UnsafeRawPointer, _ qh: UInt32, _ j: Int) -> (Int32, Int32) {
        let q = qs.load(fromByteOffset: j, as: UInt8.self)
        return (Int32(q & 0x0F) | Int32((qh >> UInt32(j)) & 1) << 4, Int32(q >> 4) | Int32((qh >> UInt32(j + 16)) & 1) << 4)
    }

    #if LOOM_AVX2
    /// The 8 value vectors (0…31) of a record: nibbles from the chunks at `quants`, fifth bits
    /// from the vector at `high`.
    @inline(__always)
    static func values(_ high: UnsafeRawPointer, _ quants: UnsafeRawPointer) -> Nibbles {
        let n = Nibbles(quants), h = high.loadUnaligned(as: __m256i.self), b4 = _mm256_set1_epi8(0x10)
        return Nibbles(l0: _mm256_or_si256(n.l0, _mm256_and_si256(_mm256_slli_epi16(h, 4), b4)),
                       l1: _mm256_or_si256(n.l1, _mm256_and_si256(_mm256_slli_epi16(h, 3), b4)),
                       l2: _mm256_or_si256(n.l2, _mm256_and_si256(_mm256_slli_epi16(h, 2), b4)),
                       l3: _mm256_or_si256(n.l3, _mm256_and_si256(_mm256_slli_epi16(h, 1), b4)),
                       h0: _mm256_or_si256(n.h0, _mm256_and_si256(h, b4)),
                       h1: _mm256_or_si256(n.h1, _mm256_and_si256(_mm256_srli_epi16(h, 1), b4)),
                       h2: _mm256_or_si256(n.h2, _mm256_and_si256(_mm256_srli_epi16(h, 2), b4)),
                       h3: _mm256_or_si256(n.h3, _mm256_and_si256(_mm256_srli_epi16(h, 3), b4)))
    }
    #endif
}
