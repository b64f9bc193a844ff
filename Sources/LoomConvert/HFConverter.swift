// HFConverter: a Hugging Face model folder (config.json + Safetensors + tokenizer files) → one GGUF
// file, in pure Swift, the way llama.cpp's convert_hf_to_gguf.py writes it.
//
//   folder ──config.json "architectures"[0]──▶ BertConversion | LlamaConversion (plan: metadata +
//   tensor list, every check done) ──GGUFWriter, one tensor at a time from the mapped shards──▶ file
//
// Metadata order: general.{architecture, type, name, size_label}, the architecture's hyperparameters,
// general.file_type, general.quantization_version, then tokenizer.*. The file is written atomically
// (GGUFWriter: temp file, fsync, rename); nothing is written when a check fails.

import Foundation
import LoomGGUF
import LoomTensor

/// Output element type for 2-D weights (1-D tensors — norms, biases — position_embd and token_types
/// are always F32, as llama.cpp writes them).
public enum ConvertOutputType: String, Sendable, CaseIterable, Hashable {
    case f32, f16, bf16

    /// The GGML type of converted matrices.
    public var ggmlType: GGMLType {
        switch self {
        case .f32: return .f32
        case .f16: return .f16
        case .bf16: return .bf16
        }
    }

    /// llama.cpp's `general.file_type` (llama_ftype): ALL_F32 0, MOSTLY_F16 1, MOSTLY_BF16 32 (FileType).
    public var fileType: UInt32 { FileType(mostly: ggmlType)?.rawValue ?? 0 }
}

/// What a conversion wrote.
public struct ConversionSummary: Sendable, Hashable {
    /// The GGUF architecture ("bert", "llama", "qwen2").
    public let architecture: String
    /// The Hugging Face architecture it came from ("BertModel", …).
    public let sourceArchitecture: String
    /// Number of tensors in the GGUF.
    public let tensorCount: Int
    /// Total elements of all tensors.
    public let parameterCount: Int
    /// The element type of converted matrices.
    public let outputType: ConvertOutputType
}

/// Converts Hugging Face model folders to GGUF.
public enum HFConverter {
    /// The Hugging Face architectures (config.json "architectures"[0]) this converter reads.
    public static var supportedArchitectures: [String] {
        (BertConversion.hfArchitectures + LlamaConversion.architectures.keys).sorted()
    }

    /// Converts and writes `output` atomically; returns a summary (GGUF architecture, tensor count,
    /// parameter count).
    public static func convert(_ folder: HFModelFolder, to output: String, type: ConvertOutputType = .f16) throws(ConvertError) -> ConversionSummary {
        let (plan, metadata) = try prepare(folder, type: type)
        var writer = GGUFWriter(metadata: metadata)
        do throws(GGUFError) {
            for t in plan.tensors {
                try writer.addTensor(name: t.name, type: t.type, shape: t.shape) { t.bytes() }
            }
            try writer.write(to: output)
        } catch {
            throw .write(error)
        }
        return ConversionSummary(architecture: plan.architecture, sourceArchitecture: folder.architecture,
                                 tensorCount: plan.tensors.count, parameterCount: parameterCount(plan),
                                 outputType: type)
    }

    /// The architecture's plan and the full metadata, with every check done and nothing written.
    static func prepare(_ folder: HFModelFolder, type: ConvertOutputType) throws(ConvertError) -> (ArchitecturePlan, GGUFMetadata) {
        let config = try folder.config()
        let arch = folder.architecture
        let plan: ArchitecturePlan
        if BertConversion.hfArchitectures.contains(arch) {
            plan = try BertConversion.plan(folder: folder, config: config, index: try WeightIndex(folder: folder), type: type)
        } else if let gguf = LlamaConversion.architectures[arch] {
            plan = try LlamaConversion.plan(arch: gguf, folder: folder, config: config, index: try WeightIndex(folder: folder), type: type)
        } else {
            throw .unknownArchitecture(arch, supported: supportedArchitectures)
        }
        var m = GGUFMetadata()
        m["general.architecture"] = .string(plan.architecture)
        m["general.type"] = .string("model")
        m["general.name"] = .string(folder.name)
        m["general.size_label"] = .string(sizeLabel(parameterCount(plan)))
        for entry in plan.parameters { m[entry.key] = entry.value }
        m["general.file_type"] = .uint32(type.fileType)
        m["general.quantization_version"] = .uint32(2)
        for entry in plan.tokenizer { m[entry.key] = entry.value }
        return (plan, m)
    }

    static func parameterCount(_ plan: ArchitecturePlan) -> Int {
        plan.tensors.filter { $0.name != "rope_freqs.weight" }.reduce(0) { $0 + $1.elementCount }
    }

    /// gguf-py's size_label for a dense model: "135M", "23M", "1.2B".
    static func sizeLabel(_ count: Int) -> String {
        let n = Double(count)
        let (scaled, suffix): (Double, String) = n > 1e12 ? (n * 1e-12, "T") : n > 1e9 ? (n * 1e-9, "B") : n > 1e6 ? (n * 1e-6, "M") : (n * 1e-3, "K")
        let digits = String(Int(scaled.rounded(.toNearestOrEven))).drop { $0 == "0" }.count
        let fraction = max(2 - digits, 0)
        return String(format: "%.\(fraction)f", scaled) + suffix
    }
}
