// FileType: GGUF's `general.file_type` (llama.cpp's `enum llama_ftype`) — the one table of its ids
// and names, and the tensor type each "mostly X" file type stands for.
//
// Names are gguf-py's `LlamaFileType` members without the ALL_/MOSTLY_ prefix ("Q4_0", "Q4_K_M"),
// which is also what Ollama reports as `quantization_level`. The tensor type is the GGMLType of the
// same name where there is one (Q4_K_M, a mix, has none). Readers: the store's quantizer (target
// names → id and tensor type), the service's model details, the converter.

import LoomTensor

/// A GGUF `general.file_type` value: which type most of a file's matrices have.
public struct FileType: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// llama_ftype id.
    public let rawValue: UInt32

    /// The file type with id `rawValue`, or nil for an id llama.cpp does not define.
    public init?(rawValue: UInt32) {
        guard Self.names[rawValue] != nil else { return nil }
        self.rawValue = rawValue
    }

    /// The file type named `name`, compared case-insensitively ("q4_k_m", "F16").
    public init?(name: String) {
        let wanted = name.uppercased()
        guard let id = Self.names.first(where: { $0.value == wanted })?.key else { return nil }
        rawValue = id
    }

    /// The file type whose matrices are all (but the output's) `type`, when there is one.
    public init?(mostly type: GGMLType) {
        self.init(name: type.name)
    }

    /// The name ("Q4_0").
    public var name: String { Self.names[rawValue] ?? "unknown" }

    /// The tensor type most matrices of such a file have, or nil for mixes (Q4_K_M, IQ3_M, …).
    public var tensorType: GGMLType? { GGMLType(name: name) }

    /// The name.
    public var description: String { name }

    /// llama_ftype ids and names (llama.h; gguf-py's LlamaFileType). 4–6 and 33–35 were removed.
    static let names: [UInt32: String] = [
        0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1",
        10: "Q2_K", 11: "Q3_K_S", 12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M",
        16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS", 20: "IQ2_XS", 21: "Q2_K_S",
        22: "IQ3_XS", 23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M",
        28: "IQ2_S", 29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16", 36: "TQ1_0", 37: "TQ2_0",
        38: "MXFP4_MOE", 39: "NVFP4", 40: "Q1_0",
    ]
}
