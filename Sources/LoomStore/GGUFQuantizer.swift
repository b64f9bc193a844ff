// GGUFQuantizer: rewrite a GGUF's tensors to a target type (what `/api/create` with `quantize` does),
// streaming tensor by tensor: the writer asks for one tensor's bytes at a time, which are produced
// from the memory-mapped source rows in parallel on a thread pool (rows split between threads; every
// row is quantized by ggml's reference rounding in LoomKernels, so the output does not depend on the
// thread count). Memory stays about one tensor.
//
// Which type each tensor gets is llama.cpp's mix for the target file type (QuantizationPolicy.swift):
// a file quantized here has the tensor types — and, with the reference quantizers of LoomKernels,
// the bytes — `llama-quantize` (without an importance matrix) writes. A tensor already of its target
// type is copied. Sources in F32/F16/BF16 quantize directly; quantized sources are dequantized first
// (a warning: requantizing loses quality).

import LoomGGUF
import LoomKernels
import LoomTensor
import Synchronization

/// Rewrites GGUF files to another weight type.
public enum GGUFQuantizer {
    /// Targets `quantize` accepts (lower-cased llama_ftype names, as Ollama's `q4_K_M` compared
    /// case-insensitively), with their `general.file_type`: the file types with a policy whose main
    /// type LoomKernels can write, except F32 (Ollama's create does not quantize to F32).
    public static let targets: [String: FileType] = Dictionary(uniqueKeysWithValues:
        QuantizationPolicy.defaultTypes.filter { $0.value != .f32 && Quantizer.supportedTypes.contains($0.value) }
            .compactMap { name, _ in FileType(name: name).map { (name.lowercased(), $0) } })

    /// The type of every tensor of `source` when quantized to `fileType` (nil: no such target).
    public static func types(_ source: GGUFFile, fileType: String) -> [String: GGMLType]? {
        guard let policy = QuantizationPolicy(fileType: fileType, model: model(source)) else { return nil }
        return policy.types(for: source.tensors.map { ($0.name, $0.type, $0.shape) })
    }

    /// The hyperparameters llama.cpp's mix reads, from the GGUF metadata.
    static func model(_ file: GGUFFile) -> QuantizationPolicy.Model {
        let arch = (try? file.metadata.string("general.architecture")) ?? ""
        func int(_ key: String) -> Int { (try? file.metadata.integerIfPresent("\(arch).\(key)", as: Int.self)) ?? 0 }
        let heads = int("attention.head_count")
        let kv = int("attention.head_count_kv")
        return .init(architecture: arch, layers: int("block_count"), heads: heads, kvHeads: kv == 0 ? heads : kv,
                     experts: int("expert_count"))
    }

    /// Warnings for `source` (e.g. requantizing an already quantized model).
    public static func warnings(_ source: GGUFFile) -> [String] {
        let quantized = Set(source.tensors.filter { $0.shape.count >= 2 && $0.type.isQuantized }.map(\.type.name))
        return quantized.isEmpty ? [] : ["requantizing from \(quantized.sorted().joined(separator: ", ")) loses quality; quantize from F16, F32 or BF16 for the best result"]
    }

    /// Writes `source` with its tensors in `target` to `path` (atomically); `progress(i, n, name)`
    /// is called before each tensor is produced.
    public static func quantize(_ source: GGUFFile, target name: String, to path: String, threads: Int,
                                progress: @escaping @Sendable (Int, Int, String) -> Void = { _, _, _ in }) throws {
        guard let fileType = targets[name.lowercased()], let types = types(source, fileType: fileType.name) else {
            throw StoreError.io("unsupported quantization type \(name)")
        }
        if let missing = Set(types.values).subtracting(Quantizer.supportedTypes).sorted(by: { $0.rawValue < $1.rawValue }).first {
            throw StoreError.io("quantizing to \(fileType.name) needs \(missing.name) tensors, which Loom cannot write")
        }
        var metadata = source.metadata
        metadata["general.file_type"] = .uint32(fileType.rawValue)
        metadata["general.quantization_version"] = .uint32(2)
        var writer = GGUFWriter(metadata: metadata)
        let pool = ThreadPool(threads: max(1, threads))
        let total = source.tensors.count
        for (index, tensor) in source.tensors.enumerated() {
            let type = types[tensor.name] ?? tensor.type
            guard type == tensor.type || Dequantize.supportedTypes.contains(tensor.type) else {
                throw StoreError.io("cannot quantize tensor \(tensor.name) of type \(tensor.type.name)")
            }
            try writer.addTensor(name: tensor.name, type: type, shape: tensor.shape) {
                progress(index, total, tensor.name)
                return try Self.convert(source, tensor, to: type, pool: pool)
            }
        }
        try writer.write(to: path)
    }

    /// One tensor's rows dequantized to f32 and quantized to `type`, rows split between threads.
    static func convert(_ file: GGUFFile, _ tensor: GGUFTensorInfo, to type: GGMLType, pool: ThreadPool) throws -> [UInt8] {
        if type == tensor.type { return Array(file.bytes(of: tensor)) }
        let rows = tensor.rowCount, cols = tensor.rowLength
        guard let inRow = tensor.type.byteCount(elements: cols), let outRow = type.byteCount(elements: cols) else {
            throw StoreError.io("tensor \(tensor.name): rows are not whole blocks")
        }
        let src = file.bytes(of: tensor)
        var out = [UInt8](repeating: 0, count: rows * outRow)
        let failed = FailureFlag()
        out.withUnsafeMutableBytes { dst in
            guard let base = src.baseAddress, let outBase = dst.baseAddress else { return }
            pool.run { t, n in
                let floats = UnsafeMutablePointer<Float>.allocate(capacity: cols)
                defer { floats.deallocate() }
                for r in ThreadPool.split(rows, part: t, of: n) {
                    do {
                        try Dequantize.row(tensor.type, base + r * inRow, count: cols, into: floats)
                        try Quantizer.quantizeRow(type, floats, count: cols, into: outBase + r * outRow)
                    } catch { failed.set(); return }
                }
            }
        }
        if failed.isSet { throw StoreError.io("tensor \(tensor.name): conversion \(tensor.type.name) → \(type.name) failed") }
        return out
    }
}

/// Set by any thread when a row fails.
final class FailureFlag: Sendable {
    private let value = Atomic<Bool>(false)
    func set() { value.store(true, ordering: .relaxed) }
    var isSet: Bool { value.load(ordering: .relaxed) }
}
