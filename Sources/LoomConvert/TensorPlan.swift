// TensorPlan: which GGUF tensors a conversion writes, where each one's bytes come from, and the
// checks that run before anything is written.
//
// An architecture declares its tensors as `TensorSpec`s (HF name → GGUF name, the HF shape
// config.json implies, required or optional, q/k permutation). `TensorPlanner.plan` then reports,
// in this order and each all at once: required tensors that are missing; tensors whose shape
// disagrees with config.json; tensors in the folder the architecture does not use (llama.cpp's
// "Can not map tensor"); used tensors of a dtype other than F32/F16/BF16.
//
// Output types (llama.cpp's prepare_tensors): 1-D tensors, "*_norm.weight", anything not ending in
// ".weight" (biases), position_embd and token_types are F32; other tensors take the requested type.
// GGUF shapes are the HF shapes reversed (ggml lists the row length first).

import LoomTensor

/// Where one GGUF tensor's bytes come from.
enum TensorSource: Sendable {
    /// A safetensors tensor, rows permuted for `permuteHeads` heads when set.
    case weight(WeightRef, permuteHeads: Int?)
    /// Values computed by the converter (llama3 rope_freqs).
    case values([Float])
}

/// One tensor the GGUF will hold.
struct PlannedTensor: Sendable {
    /// GGUF name, e.g. "blk.0.attn_q.weight".
    let name: String
    let source: TensorSource
    /// Output element type.
    let type: GGMLType
    /// ggml order (row length first).
    let shape: [Int]

    var elementCount: Int { shape.reduce(1, *) }

    /// The tensor's bytes in `type`, read from the mapping now.
    func bytes() -> [UInt8] {
        switch source {
        case let .values(v):
            return TensorEncoding.encode(floats: v, to: type)
        case let .weight(ref, heads):
            return withExtendedLifetime(ref.file) {
                let raw = ref.file.bytes(of: ref.tensor)
                guard let heads else { return TensorEncoding.encode(raw, from: ref.tensor.dtype, to: type) }
                let permuted = TensorEncoding.permuteRows(raw, rows: ref.shape.first ?? 1, heads: heads)
                return permuted.withUnsafeBytes { TensorEncoding.encode($0, from: ref.tensor.dtype, to: type) }
            }
        }
    }

    /// The output type of GGUF tensor `name` with `dims` dimensions when `requested` is asked for.
    static func outputType(_ name: String, dims: Int, requested: GGMLType) -> GGMLType {
        if dims <= 1 || name.hasSuffix("_norm.weight") || !name.hasSuffix(".weight") { return .f32 }
        if name == "position_embd.weight" || name == "token_types.weight" { return .f32 }
        return requested
    }
}

/// One tensor an architecture expects.
struct TensorSpec {
    /// The (normalized) HF name.
    let source: String
    /// The GGUF name.
    let target: String
    /// The HF shape config.json implies (outermost first).
    let shape: [Int]
    var required = true
    /// llama's q/k: permute rows for this many heads.
    var permuteHeads: Int? = nil
}

/// Matches an architecture's specs against a folder's tensors.
struct TensorPlanner {
    /// Normalized HF name → tensor.
    let available: [String: WeightRef]

    /// `index`'s tensors under names rewritten by `normalize` (two tensors with one name is an error).
    init(index: WeightIndex, normalize: (String) -> String = { $0 }) throws(ConvertError) {
        var available: [String: WeightRef] = [:]
        for name in index.names {
            guard let ref = index[name] else { continue }
            let key = normalize(name)
            if let other = available[key] { throw .duplicateTensor(key, files: [other.tensor.name, name]) }
            available[key] = ref
        }
        self.available = available
    }

    /// Tensors llama.cpp's prepare_tensors drops for every architecture.
    static func alwaysSkipped(_ name: String) -> Bool {
        name.hasSuffix(".attention.masked_bias") || name.hasSuffix(".attention.bias") || name.hasSuffix(".rotary_emb.inv_freq")
    }

    /// The planned tensors for `specs`; tensors for which `skip` is true are ignored.
    func plan(_ specs: [TensorSpec], skip: (String) -> Bool, type: GGMLType) throws(ConvertError) -> [PlannedTensor] {
        let missing = specs.filter { $0.required && available[$0.source] == nil }.map(\.source)
        guard missing.isEmpty else { throw .missingTensors(missing) }
        for spec in specs {
            if let ref = available[spec.source], ref.shape != spec.shape {
                throw .shapeMismatch(tensor: ref.tensor.name, expected: spec.shape, actual: ref.shape)
            }
        }
        let used = Set(specs.map(\.source))
        let unexpected = available.keys.filter { !used.contains($0) && !skip($0) }.sorted()
        guard unexpected.isEmpty else { throw .unexpectedTensors(unexpected) }
        var out: [PlannedTensor] = []
        for spec in specs {
            guard let ref = available[spec.source] else { continue }
            guard ref.tensor.dtype.isConvertible else {
                throw .unsupportedDType(file: ref.file.name, tensor: ref.tensor.name, dtype: ref.tensor.dtype.rawValue)
            }
            let shape = Array(spec.shape.reversed())
            out.append(PlannedTensor(name: spec.target, source: .weight(ref, permuteHeads: spec.permuteHeads),
                                     type: PlannedTensor.outputType(spec.target, dims: shape.count, requested: type),
                                     shape: shape))
        }
        return out
    }
}
