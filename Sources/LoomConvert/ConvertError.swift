// ConvertError: everything that can go wrong turning a Hugging Face folder into a GGUF file.
//
// Every case names the file, key or tensor at fault and, where there is one, what was expected
// versus what was found, so a user who points Loom at a broken or unsupported folder learns which
// part to fix. `description` is one sentence.

import LoomGGUF

/// A typed error from reading a Hugging Face model folder or converting it to GGUF.
public enum ConvertError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The folder has no `config.json`.
    case missingConfig
    /// A file could not be opened, inspected or mapped.
    case cannotRead(path: String, reason: String)
    /// A JSON file (config.json, tokenizer.json, …) is not valid JSON or not the expected shape.
    case invalidJSON(file: String, reason: String)
    /// A JSON file lacks a key the conversion needs.
    case missingKey(file: String, key: String)
    /// A JSON key holds a value of another type (or range) than the conversion needs.
    case invalidValue(file: String, key: String, expected: String, found: String)
    /// config.json names an architecture this converter does not implement.
    case unknownArchitecture(String, supported: [String])
    /// The folder has no `*.safetensors` weights.
    case noSafetensors(found: [String])
    /// A shard named by `model.safetensors.index.json` is not in the folder.
    case missingShard(file: String, index: String)
    /// A safetensors file is shorter than its 8-byte header length field.
    case safetensorsTruncated(file: String, fileSize: Int)
    /// A safetensors header length runs past the end of the file.
    case safetensorsHeaderBeyondFile(file: String, headerLength: UInt64, fileSize: Int)
    /// A safetensors header is not a JSON object.
    case safetensorsHeaderNotJSON(file: String, reason: String)
    /// A safetensors header entry lacks or mistypes dtype / shape / data_offsets.
    case safetensorsInvalidEntry(file: String, tensor: String, reason: String)
    /// A tensor's data offsets lie outside the file's data section (or end before they begin).
    case safetensorsDataOutOfRange(file: String, tensor: String, begin: Int, end: Int, dataSize: Int)
    /// A tensor's byte range does not match its dtype × shape.
    case safetensorsSizeMismatch(file: String, tensor: String, dtype: String, shape: [Int], expected: Int, actual: Int)
    /// A tensor has a dtype the conversion cannot read (Loom reads F32, F16 and BF16).
    case unsupportedDType(file: String, tensor: String, dtype: String)
    /// Two shards hold a tensor of the same name.
    case duplicateTensor(String, files: [String])
    /// Tensors the architecture needs are absent (all of them, at once).
    case missingTensors([String])
    /// Tensors in the folder that the architecture does not know (llama.cpp refuses these too).
    case unexpectedTensors([String])
    /// A tensor's shape disagrees with config.json.
    case shapeMismatch(tensor: String, expected: [Int], actual: [Int])
    /// config.json's hyperparameters are inconsistent (e.g. hidden size not divisible by heads).
    case invalidConfig(String)
    /// The tokenizer files the architecture needs are absent.
    case missingTokenizer(architecture: String, needed: String)
    /// A tokenizer file is present but unusable.
    case invalidTokenizer(file: String, reason: String)
    /// config.json asks for a RoPE scaling kind this converter does not write.
    case unsupportedRopeScaling(String)
    /// A sentence-transformers pooling config asks for a pooling mode GGUF cannot express.
    case unsupportedPooling(file: String, reason: String)
    /// Writing the GGUF failed.
    case write(GGUFError)

    /// One clear sentence.
    public var description: String {
        switch self {
        case .missingConfig:
            return "the model folder has no config.json"
        case let .cannotRead(path, reason):
            return "cannot read '\(path)': \(reason)"
        case let .invalidJSON(file, reason):
            return "\(file) is not valid JSON: \(reason)"
        case let .missingKey(file, key):
            return "\(file) has no '\(key)', which the conversion needs"
        case let .invalidValue(file, key, expected, found):
            return "\(file): '\(key)' should be \(expected) but is \(found)"
        case let .unknownArchitecture(arch, supported):
            return "architecture '\(arch)' is not supported; Loom converts \(supported.joined(separator: ", "))"
        case let .noSafetensors(found):
            let hint = found.contains { $0.hasSuffix(".bin") || $0.hasSuffix(".pt") } ? " (PyTorch .bin/.pt weights are not supported)" : ""
            return "the model folder has no *.safetensors weights\(hint)"
        case let .missingShard(file, index):
            return "\(index) names shard '\(file)', which is not in the model folder"
        case let .safetensorsTruncated(file, size):
            return "\(file) is truncated: \(size) bytes, fewer than the 8-byte header length"
        case let .safetensorsHeaderBeyondFile(file, length, size):
            return "\(file): the header length \(length) runs past the end of the \(size)-byte file"
        case let .safetensorsHeaderNotJSON(file, reason):
            return "\(file): the header is not a JSON object (\(reason))"
        case let .safetensorsInvalidEntry(file, tensor, reason):
            return "\(file): header entry '\(tensor)' is invalid: \(reason)"
        case let .safetensorsDataOutOfRange(file, tensor, begin, end, dataSize):
            return "\(file): tensor '\(tensor)' has data offsets [\(begin), \(end)) outside the \(dataSize)-byte data section"
        case let .safetensorsSizeMismatch(file, tensor, dtype, shape, expected, actual):
            return "\(file): tensor '\(tensor)' (\(dtype) \(shape)) needs \(expected) bytes but its data offsets span \(actual)"
        case let .unsupportedDType(file, tensor, dtype):
            return "\(file): tensor '\(tensor)' has dtype \(dtype); Loom converts F32, F16 and BF16"
        case let .duplicateTensor(name, files):
            return "tensor '\(name)' appears in more than one shard (\(files.joined(separator: ", ")))"
        case let .missingTensors(names):
            return "\(names.count) tensor(s) missing: \(names.joined(separator: ", "))"
        case let .unexpectedTensors(names):
            return "\(names.count) tensor(s) the architecture does not use: \(names.joined(separator: ", "))"
        case let .shapeMismatch(tensor, expected, actual):
            return "tensor '\(tensor)' has shape \(actual) but config.json implies \(expected)"
        case let .invalidConfig(reason):
            return "config.json is inconsistent: \(reason)"
        case let .missingTokenizer(arch, needed):
            return "the \(arch) conversion needs \(needed), which the model folder does not have"
        case let .invalidTokenizer(file, reason):
            return "\(file) cannot be used as a tokenizer: \(reason)"
        case let .unsupportedRopeScaling(kind):
            return "RoPE scaling '\(kind)' is not supported; Loom converts linear, yarn and llama3 scaling"
        case let .unsupportedPooling(file, reason):
            return "\(file): \(reason); GGUF expresses mean, CLS and last-token pooling"
        case let .write(e):
            return "writing the GGUF failed: \(e)"
        }
    }
}
