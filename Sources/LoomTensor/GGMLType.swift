// GGMLType: every tensor element type a GGUF file can name, by its GGUF id, with one traits table.
//
// The ids are ggml's `enum ggml_type` as GGUF stores them (uint32). Ids 4, 5 (Q4_2, Q4_3), 31–33
// (Q4_0_4_4, Q4_0_4_8, Q4_0_8_8) and 36–38 (IQ4_NL_4_4, …) were removed from ggml and are not
// representable here: a file that uses them is rejected as having an unknown type.
//
// The traits table (`traits`) is the single source of name, block size, bytes per block and
// "quantized or not"; validation, sizing and the kernels' type table (LoomKernels TypeTable, whose
// formats take their layout sizes from here) all read it. It is checked against the
// `gguf` Python package's GGML_QUANT_SIZES by a golden (Fixtures/ggml-types.json).

/// A ggml tensor element type, with its GGUF type id as raw value.
public enum GGMLType: UInt32, Sendable, CaseIterable, Hashable {
    case f32 = 0, f16 = 1
    case q4_0 = 2, q4_1 = 3, q5_0 = 6, q5_1 = 7, q8_0 = 8, q8_1 = 9
    case q2_K = 10, q3_K = 11, q4_K = 12, q5_K = 13, q6_K = 14, q8_K = 15
    case iq2_xxs = 16, iq2_xs = 17, iq3_xxs = 18, iq1_s = 19, iq4_nl = 20
    case iq3_s = 21, iq2_s = 22, iq4_xs = 23
    case i8 = 24, i16 = 25, i32 = 26, i64 = 27, f64 = 28
    case iq1_m = 29, bf16 = 30
    case tq1_0 = 34, tq2_0 = 35
    case mxfp4 = 39, nvfp4 = 40, q1_0 = 41

    /// The static facts about one element type.
    public struct Traits: Sendable, Hashable {
        /// ggml's name for the type, upper-case as the `gguf` Python package prints it ("Q4_K", "F16").
        public let name: String
        /// Elements per block (1 for plain types such as F32).
        public let blockSize: Int
        /// Bytes per block.
        public let bytesPerBlock: Int
        /// True for block-quantized types (Q*, IQ*, TQ*, MXFP4, NVFP4), false for plain numbers.
        public let isQuantized: Bool

        @usableFromInline
        init(name: String, blockSize: Int, bytesPerBlock: Int, isQuantized: Bool) {
            self.name = name
            self.blockSize = blockSize
            self.bytesPerBlock = bytesPerBlock
            self.isQuantized = isQuantized
        }
    }

    /// The traits of this type; the one table every size computation reads. Inlinable, so a kernel
    /// that asks for a constant type's block size gets a constant.
    @inlinable
    public var traits: Traits {
        // QK_K-based "super-block" types hold 256 elements.
        let k = 256
        switch self {
        case .f32: return Traits(name: "F32", blockSize: 1, bytesPerBlock: 4, isQuantized: false)
        case .f16: return Traits(name: "F16", blockSize: 1, bytesPerBlock: 2, isQuantized: false)
        case .q4_0: return Traits(name: "Q4_0", blockSize: 32, bytesPerBlock: 2 + 16, isQuantized: true)
        case .q4_1: return Traits(name: "Q4_1", blockSize: 32, bytesPerBlock: 2 + 2 + 16, isQuantized: true)
        case .q5_0: return Traits(name: "Q5_0", blockSize: 32, bytesPerBlock: 2 + 4 + 16, isQuantized: true)
        case .q5_1: return Traits(name: "Q5_1", blockSize: 32, bytesPerBlock: 2 + 2 + 4 + 16, isQuantized: true)
        case .q8_0: return Traits(name: "Q8_0", blockSize: 32, bytesPerBlock: 2 + 32, isQuantized: true)
        case .q8_1: return Traits(name: "Q8_1", blockSize: 32, bytesPerBlock: 4 + 4 + 32, isQuantized: true)
        case .q2_K: return Traits(name: "Q2_K", blockSize: k, bytesPerBlock: 2 + 2 + k / 16 + k / 4, isQuantized: true)
        case .q3_K: return Traits(name: "Q3_K", blockSize: k, bytesPerBlock: 2 + k / 4 + k / 8 + 12, isQuantized: true)
        case .q4_K: return Traits(name: "Q4_K", blockSize: k, bytesPerBlock: 2 + 2 + k / 2 + 12, isQuantized: true)
        case .q5_K: return Traits(name: "Q5_K", blockSize: k, bytesPerBlock: 2 + 2 + k / 2 + k / 8 + 12, isQuantized: true)
        case .q6_K: return Traits(name: "Q6_K", blockSize: k, bytesPerBlock: 2 + k / 2 + k / 4 + k / 16, isQuantized: true)
        case .q8_K: return Traits(name: "Q8_K", blockSize: k, bytesPerBlock: 4 + k + k / 8, isQuantized: true)
        case .iq2_xxs: return Traits(name: "IQ2_XXS", blockSize: k, bytesPerBlock: 2 + k / 4, isQuantized: true)
        case .iq2_xs: return Traits(name: "IQ2_XS", blockSize: k, bytesPerBlock: 2 + k / 4 + k / 32, isQuantized: true)
        case .iq3_xxs: return Traits(name: "IQ3_XXS", blockSize: k, bytesPerBlock: 2 + k / 4 + k / 8, isQuantized: true)
        case .iq1_s: return Traits(name: "IQ1_S", blockSize: k, bytesPerBlock: 2 + k / 8 + k / 16, isQuantized: true)
        case .iq4_nl: return Traits(name: "IQ4_NL", blockSize: 32, bytesPerBlock: 2 + 16, isQuantized: true)
        case .iq3_s: return Traits(name: "IQ3_S", blockSize: k, bytesPerBlock: 2 + k / 4 + k / 8 + k / 32 + 4, isQuantized: true)
        case .iq2_s: return Traits(name: "IQ2_S", blockSize: k, bytesPerBlock: 2 + k / 4 + k / 16, isQuantized: true)
        case .iq4_xs: return Traits(name: "IQ4_XS", blockSize: k, bytesPerBlock: 2 + 2 + k / 2 + k / 64, isQuantized: true)
        case .i8: return Traits(name: "I8", blockSize: 1, bytesPerBlock: 1, isQuantized: false)
        case .i16: return Traits(name: "I16", blockSize: 1, bytesPerBlock: 2, isQuantized: false)
        case .i32: return Traits(name: "I32", blockSize: 1, bytesPerBlock: 4, isQuantized: false)
        case .i64: return Traits(name: "I64", blockSize: 1, bytesPerBlock: 8, isQuantized: false)
        case .f64: return Traits(name: "F64", blockSize: 1, bytesPerBlock: 8, isQuantized: false)
        case .iq1_m: return Traits(name: "IQ1_M", blockSize: k, bytesPerBlock: k / 8 + k / 16 + k / 32, isQuantized: true)
        case .bf16: return Traits(name: "BF16", blockSize: 1, bytesPerBlock: 2, isQuantized: false)
        case .tq1_0: return Traits(name: "TQ1_0", blockSize: k, bytesPerBlock: 2 + 4 * 13, isQuantized: true)
        case .tq2_0: return Traits(name: "TQ2_0", blockSize: k, bytesPerBlock: 2 + 64, isQuantized: true)
        case .mxfp4: return Traits(name: "MXFP4", blockSize: 32, bytesPerBlock: 1 + 16, isQuantized: true)
        case .nvfp4: return Traits(name: "NVFP4", blockSize: 64, bytesPerBlock: 4 + 32, isQuantized: true)
        case .q1_0: return Traits(name: "Q1_0", blockSize: 128, bytesPerBlock: 2 + 16, isQuantized: true)
        }
    }

    /// ggml's name for the type ("Q4_0").
    public var name: String { traits.name }
    /// Elements per block.
    @inlinable public var blockSize: Int { traits.blockSize }
    /// Bytes per block.
    @inlinable public var bytesPerBlock: Int { traits.bytesPerBlock }
    /// True for block-quantized types.
    @inlinable public var isQuantized: Bool { traits.isQuantized }

    /// The type whose name is `name`, compared case-insensitively ("q4_k" finds `.q4_K`).
    public init?(name: String) {
        let wanted = name.uppercased()
        guard let found = GGMLType.allCases.first(where: { $0.name == wanted }) else { return nil }
        self = found
    }

    /// Bytes taken by `count` consecutive elements, or nil when `count` is negative, not a whole
    /// number of blocks, or the byte count overflows `Int`.
    public func byteCount(elements count: Int) -> Int? {
        let t = traits
        guard count >= 0, count % t.blockSize == 0 else { return nil }
        let (bytes, overflow) = (count / t.blockSize).multipliedReportingOverflow(by: t.bytesPerBlock)
        return overflow ? nil : bytes
    }
}

extension GGMLType: CustomStringConvertible {
    /// ggml's name for the type.
    public var description: String { name }
}
