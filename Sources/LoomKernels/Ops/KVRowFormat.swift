// KV cache row formats: how attention reads element i of one head's row of keys or values, in
// each element type a KV cache can hold. The block formats are ggml's (Blocks/Q8_0, Blocks/Q4_0):
//
//   f32    4 bytes per value
//   f16    2 bytes per value (IEEE binary16)
//   q8_0   32 values per 34-byte block: fp16 d, then qs[32] int8;          x = q·d
//   q4_0   32 values per 18-byte block: fp16 d, then qs[16] nibble pairs;  x = (q − 8)·d,
//          the low nibble of qs[j] is element j, the high nibble element j + 16
//
// A head row of a block format is whole blocks (headDim % 32 == 0), so a position's row of
// nKVHead · headDim values quantized at once is the same bytes as each head's row quantized alone.
// `load8` returns exactly the f32 values `Q8_0.dequantize` / `Q4_0.dequantize` give (f32(q)·d, one
// rounding), so attention over a quantized cache computes the same bits as attention over an f32
// cache holding the dequantized values: the dequantization happens in registers, on the fly.
// Offsets use wrapping arithmetic (the caller keeps i in the row): no overflow checks in the hot loops.
// With -DLOOM_AVX2 the widening is F16C / AVX2 intrinsics: the generic SIMD conversions
// (`SIMD8<Float>(SIMD8<Int32>)`, `SIMD8<Float>(SIMD8<Float16>)`) compile to the same instructions in
// a small file but are left as outlined calls inside this module's hot loops (perf: 13% of the
// time in `SIMD8.init<Int32>` before). Both paths load the same values.
// Without -DLOOM_AVX2 (a plain `swift build`, baseline x86-64) `SIMD8<Float>(SIMD8<Float16>)` is
// eight `__extendhfsf2` calls, so f16 rows widen with integer bit operations instead (F16Widen:
// exact for every value, 4 lanes at a time on SSE2).

#if LOOM_AVX2
import _Builtin_intrinsics.intel
#endif

/// A KV cache element layout: 8 or 1 values of a head row, widened to f32.
protocol KVRowFormat {
    /// Bytes of `n` values (n a multiple of the block size).
    static func bytes(_ n: Int) -> Int
    /// Values i..<i+8 of the row at `row` (i a multiple of 8; for block formats, of a block's 8-value chunk).
    static func load8(_ row: UnsafeRawPointer, _ i: Int) -> SIMD8<Float>
    /// Value i of the row at `row`.
    static func value(_ row: UnsafeRawPointer, _ i: Int) -> Float
}

extension KVRowFormat {
    /// Values i..<i+16 (i a multiple of 16): two 8-value loads.
    @inline(__always)
    static func load16(_ row: UnsafeRawPointer, _ i: Int) -> SIMD16<Float> {
        SIMD16(lowHalf: load8(row, i), highHalf: load8(row, i + 8))
    }
}

/// f32 rows.
enum F32Rows: KVRowFormat {
    @inline(__always) static func bytes(_ n: Int) -> Int { 4 * n }
    @inline(__always) static func load8(_ row: UnsafeRawPointer, _ i: Int) -> SIMD8<Float> {
        row.loadUnaligned(fromByteOffset: 4 &* i, as: SIMD8<Float>.self)
    }
    @inline(__always) static func value(_ row: UnsafeRawPointer, _ i: Int) -> Float {
        row.loadUnaligned(fromByteOffset: 4 &* i, as: Float.self)
    }
}

/// f16 rows, widened exactly.
enum F16Rows: KVRowFormat {
    @inline(__always) static func bytes(_ n: Int) -> Int { 2 * n }
    @inline(__always) static func load8(_ row: UnsafeRawPointer, _ i: Int) -> SIMD8<Float> {
        #if LOOM_AVX2
        _mm256_cvtph_ps(row.loadUnaligned(fromByteOffset: 2 &* i, as: __m128i.self))
        #else
        F16Widen.load8(row + 2 &* i)
        #endif
    }
    @inline(__always) static func value(_ row: UnsafeRawPointer, _ i: Int) -> Float {
        Float(row.loadUnaligned(fromByteOffset: 2 &* i, as: Float16.self))
    }
}

/// Q8_0 rows: 34-byte blocks of fp16 d and 32 int8 codes.
enum Q8_0Rows: KVRowFormat {
    @inline(__always) static func bytes(_ n: Int) -> Int { n / 32 * 34 }

    /// The scale of the block holding value i.
    @inline(__always) static func scale(_ row: UnsafeRawPointer, _ i: Int) -> Float {
        Float(row.loadUnaligned(fromByteOffset: (i &>> 5) &* 34, as: Float16.self))
    }

    @inline(__always) static func load8(_ row: UnsafeRawPointer, _ i: Int) -> SIMD8<Float> {
        let at = (i &>> 5) &* 34 &+ 2 &+ (i & 31)
        #if LOOM_AVX2
        let f: SIMD8<Float> = _mm256_cvtepi32_ps(_mm256_cvtepi8_epi32(_mm_cvtsi64_si128(row.loadUnaligned(fromByteOffset: at, as: Int64.self))))
        #else
        let f = SIMD8<Float>(SIMD8<Int32>(truncatingIfNeeded: row.loadUnaligned(fromByteOffset: at, as: SIMD8<Int8>.self)))
        #endif
        return f * scale(row, i)
    }

    @inline(__always) static func value(_ row: UnsafeRawPointer, _ i: Int) -> Float {
        Float(row.load(fromByteOffset: (i &>> 5) &* 34 &+ 2 &+ (i & 31), as: Int8.self)) * scale(row, i)
    }
}

/// Q4_0 rows: 18-byte blocks of fp16 d and 16 bytes of nibbles (element j low, j + 16 high).
enum Q4_0Rows: KVRowFormat {
    @inline(__always) static func bytes(_ n: Int) -> Int { n / 32 * 18 }

    /// The scale of the block holding value i.
    @inline(__always) static func scale(_ row: UnsafeRawPointer, _ i: Int) -> Float {
        Float(row.loadUnaligned(fromByteOffset: (i &>> 5) &* 18, as: Float16.self))
    }

    @inline(__always) static func load8(_ row: UnsafeRawPointer, _ i: Int) -> SIMD8<Float> {
        let w = i & 31
        let at = (i &>> 5) &* 18 &+ 2 &+ (w & 15)
        #if LOOM_AVX2
        let b = _mm256_cvtepu8_epi32(_mm_cvtsi64_si128(row.loadUnaligned(fromByteOffset: at, as: Int64.self)))
        let n = w < 16 ? _mm256_and_si256(b, _mm256_set1_epi32(15)) : _mm256_srli_epi32(b, 4)
        let f: SIMD8<Float> = _mm256_cvtepi32_ps(_mm256_sub_epi32(n, _mm256_set1_epi32(8)))
        #else
        let b = SIMD8<Int32>(truncatingIfNeeded: row.loadUnaligned(fromByteOffset: at, as: SIMD8<UInt8>.self))
        let f = SIMD8<Float>((w < 16 ? b & 15 : b &>> 4) &- 8)
        #endif
        return f * scale(row, i)
    }

    @inline(__always) static func value(_ row: UnsafeRawPointer, _ i: Int) -> Float {
        let w = i & 31
        let q = row.load(fromByteOffset: (i &>> 5) &* 18 &+ 2 &+ (w & 15), as: UInt8.self)
        return Float(Int(w < 16 ? q & 15 : q >> 4) - 8) * scale(row, i)
    }
}

/// f16 → f32 by integer bit operations (baseline builds, where the conversion is a libcall per value).
enum F16Widen {
    /// The 4 halves in the low 16 bits of `u`'s lanes as f32, exactly: normal and subnormal values
    /// are the magnitude bits moved to f32's position and scaled by 2¹¹² (exact), inf/NaN keep their
    /// payload under an all-ones exponent, the sign is or-ed back.
    @inline(__always)
    static func widen4(_ u: SIMD4<UInt32>) -> SIMD4<Float> {
        let em = u & 0x7FFF, sign = (u & 0x8000) &<< 16
        let scaled = unsafeBitCast(unsafeBitCast(em &<< 13, to: SIMD4<Float>.self) * 0x1p112, to: SIMD4<UInt32>.self)
        let special = (em &<< 13) | 0x7F80_0000
        return unsafeBitCast(scaled.replacing(with: special, where: em .>= 0x7C00) | sign, to: SIMD4<Float>.self)
    }

    /// Halves 0…7 at `p` as f32.
    @inline(__always)
    static func load8(_ p: UnsafeRawPointer) -> SIMD8<Float> {
        let w = p.loadUnaligned(as: SIMD4<UInt32>.self)
        // Lanes of w: halves (0,1), (2,3), (4,5), (6,7): low halves are even elements, high halves odd.
        let even = widen4(w & 0xFFFF), odd = widen4(w &>> 16)
        return SIMD8(even[0], odd[0], even[1], odd[1], even[2], odd[2], even[3], odd[3])
    }
}
