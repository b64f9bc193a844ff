// TypeTable: the one table of element types Loom's kernels handle — GGML type → its format (the
// type's folder: layout, reference quantize/dequantize, dots, interleaved8 record, AVX2 kernels).
//
//   type   format       converts  int8 matmul (Q8 activations)  float matmul
//   F32    F32Format    ✓                                       ✓
//   F16    F16Format    ✓                                       ✓
//   BF16   BF16Format   ✓                                       ✓
//   Q4_0   Q4_0         ✓         ✓ (vs Q8_0-like activations)
//   Q4_1   Q4_1         ✓         ✓ (vs Q8_1-like: min·s)
//   Q5_0   Q5_0         ✓         ✓
//   Q5_1   Q5_1         ✓         ✓
//   Q8_0   Q8_0         ✓         ✓
//   Q2_K   Q2_K         ✓
//   Q3_K   Q3_K         ✓
//   Q4_K   Q4_K         ✓         ✓ (256-element super-blocks; own record)
//   Q5_K   Q5_K         ✓         ✓ (256-element super-blocks; own record)
//   Q6_K   Q6_K         ✓         ✓ (256-element super-blocks; own record)
//   Q8_1   Q8_1         ✓         (activation format only)
//   IQ4_NL IQ4_NL       ✓         ✓ (table lookup, signed × signed)
//   Q3_K   Q3_K         ✓         ✓ (rowMajor reference dot only: RowMajorInt8Format)
//   Q2_K   Q2_K         ✓         ✓ (rowMajor reference dot only: RowMajorInt8Format)
//
// Run-time kernel paths (KernelPath): Q4_0, Q4_1, Q5_0, Q5_1 and Q8_0 register C interleaved8
// kernels for avx2 and avx512 (`native(_:)`, MatMul/NativeKernels.swift); F32/F16/BF16 run the C
// panel16 GEMM on both. The K-quants and IQ4_NL have Swift AVX2 kernels only (a -DLOOM_AVX2
// build); elsewhere they run the portable row dots.
// Block sizes and names are GGMLType.traits (LoomTensor); general.file_type names are FileType
// (LoomTensor). Readers: Dequantize/Quantizer (the store's quantizer, embeddings, BLAS tiles),
// PackedMatrix (loading: which layout, which kernels), GEMV/GEMM (dispatch, once per matmul).
// A new type is its folder plus one line here.

import LoomTensor

/// Every element type the kernels support, and what they support it with.
public enum TypeTable {
    /// The format implementing `type`, or nil when Loom has none. The only switch over quant types
    /// in the kernels.
    public static func format(_ type: GGMLType) -> (any BlockFormat.Type)? {
        switch type {
        case .f32: return F32Format.self
        case .f16: return F16Format.self
        case .bf16: return BF16Format.self
        case .q4_0: return Q4_0.self
        case .q4_1: return Q4_1.self
        case .q5_0: return Q5_0.self
        case .q5_1: return Q5_1.self
        case .q8_0: return Q8_0.self
        case .q8_1: return Q8_1.self
        case .q2_K: return Q2_K.self
        case .q3_K: return Q3_K.self
        case .q4_K: return Q4_K.self
        case .q5_K: return Q5_K.self
        case .q6_K: return Q6_K.self
        case .iq4_nl: return IQ4_NL.self
        case .q3_K: return Q3_K.self
        case .q2_K: return Q2_K.self
        default: return nil
        }
    }

    /// Types with a reference quantizer and dequantizer.
    public static let convertible: Set<GGMLType> = Set(GGMLType.allCases.filter { format($0) != nil })

    /// Types a weight matrix may have (`PackedMatrix`): an int8 or a float matmul kernel.
    public static let matmul: Set<GGMLType> = Set(GGMLType.allCases.filter { int8($0) != nil || float($0) != nil })

    /// The int8-activation format of `type`, if it has one.
    static func int8(_ type: GGMLType) -> (any Int8Format.Type)? { format(type) as? any Int8Format.Type }

    /// The f32-activation format of `type`, if it has one.
    static func float(_ type: GGMLType) -> (any FloatFormat.Type)? { format(type) as? any FloatFormat.Type }
}
