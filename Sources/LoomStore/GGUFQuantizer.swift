// GGUFQuantizer: rewrite a GGUF's tensors to a target type (what `/api/create` with `quantize` does),
// streaming tensor by tensor: the writer asks for one tensor's bytes at a time, which are produced
// from the memory-mapped source rows in parallel on a thread pool (rows split between threads; every
// row is quantized by ggml's reference rounding in LoomKernels, so the output does not depend on the
// thread count). Memory stays about one tensor.
//
// Policy (llama.cpp's, for the types Loom has):
//   1-D tensors (norms, biases)                         → F32
//   2-D tensors whose rows are not whole blocks          → F16 (kept at F32 when the source is F32)
//   token_embd / output for Q4_x and Q5_x targets        → Q8_0 (llama.cpp uses Q6_K, which Loom lacks)
//   every other 2-D tensor                               → the target type
// Sources in F32/F16/BF16 quantize directly; quantized sources are dequantized first (a warning:
// requantizing loses quality).

import LoomGGUF
import LoomKernels
import LoomTensor
import Synchronization

/// Rewrites GGUF files to another weight type.
public enum GGUFQuantizer {
    /// Targets `quantize` accepts, by Ollama's names, with their llama_ftype for `general.file_type`:
    /// every quantized type LoomKernels' type table can quantize to and run (a matmul kernel, so Q2_K
    /// and Q3_K, conversions only, are not targets) that names a file type, and F16.
    public static let targets: [String: (GGMLType, UInt32)] = Dictionary(uniqueKeysWithValues:
        Quantizer.supportedTypes.filter { ($0.isQuantized && PackedMatrix.supportedTypes.contains($0)) || $0 == .f16 }.compactMap { type in
            FileType(mostly: type).map { (type.name.lowercased(), (type, $0.rawValue)) }
        })

    /// The type `tensor` gets when quantizing to `target`.
    public static func type(for tensor: GGUFTensorInfo, target: GGMLType) -> GGMLType {
        if tensor.shape.count < 2 { return .f32 }
        let isOutput = tensor.name == "token_embd.weight" || tensor.name == "output.weight"
        let wanted: GGMLType = isOutput && target.isQuantized && target != .q8_0 ? .q8_0 : target
        if tensor.rowLength % wanted.blockSize != 0 { return tensor.type == .f32 ? .f32 : .f16 }
        return wanted
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
        guard let (target, fileType) = targets[name.lowercased()] else { throw StoreError.io("unsupported quantization type \(name)") }
        var metadata = source.metadata
        metadata["general.file_type"] = .uint32(fileType)
        var writer = GGUFWriter(metadata: metadata)
        let pool = ThreadPool(threads: max(1, threads))
        let total = source.tensors.count
        for (index, tensor) in source.tensors.enumerated() {
            let type = Self.type(for: tensor, target: target)
            guard Dequantize.supportedTypes.contains(tensor.type) else {
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
