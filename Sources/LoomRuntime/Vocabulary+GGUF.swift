// Vocabulary from GGUF metadata: tokenizer.ggml.{model, pre, tokens, scores, token_type, merges,
// *_token_id, add_*_token, add_space_prefix, remove_extra_whitespaces, precompiled_charsmap,
// fim_*_token_id} and general.{name, architecture}, with llama.cpp's defaults where a key is absent.

import LoomGGUF
import LoomTokenizers

/// Errors turning a GGUF file's metadata into a tokenizer vocabulary.
public enum VocabularyError: Error, Sendable, CustomStringConvertible {
    /// A metadata key has the wrong type or is missing.
    case metadata(GGUFError)
    /// `tokenizer.ggml.model` names a tokenizer Loom does not implement.
    case unsupportedModel(String)

    public var description: String {
        switch self {
        case let .metadata(e): return "tokenizer metadata: \(e)"
        case let .unsupportedModel(m): return "unsupported tokenizer.ggml.model '\(m)' (supported: gpt2, llama, bert, t5, gemma4)"
        }
    }
}

extension Vocabulary {
    /// The vocabulary described by `metadata`.
    public init(metadata m: GGUFMetadata) throws(VocabularyError) {
        do {
            let modelName = try m.string("tokenizer.ggml.model")
            guard let model = Model(rawValue: modelName) else { throw VocabularyError.unsupportedModel(modelName) }
            let tokens = try m.strings("tokenizer.ggml.tokens")
            let scores = m.contains("tokenizer.ggml.scores") ? try m.floats("tokenizer.ggml.scores") : []
            let types = m.contains("tokenizer.ggml.token_type")
                ? try m.integers("tokenizer.ggml.token_type", as: Int32.self).map { TokenType(rawValue: $0) ?? .normal } : []
            let merges = m.contains("tokenizer.ggml.merges") ? try m.strings("tokenizer.ggml.merges") : []
            func id(_ key: String) throws(GGUFError) -> Int32? {
                guard let v = try m.integerIfPresent("tokenizer.ggml.\(key)_token_id", as: Int64.self), v >= 0 else { return nil }
                return Int32(clamping: v)
            }
            // llama.cpp defaults: SPM adds BOS and a space prefix; BPE adds neither unless told;
            // WordPiece adds CLS/SEP; Unigram adds EOS; gemma4 always adds BOS (llama.cpp overrides a
            // false add_bos_token) and never a space prefix.
            let defaultBOS = model == .spm || model == .wpm, defaultEOS = model == .wpm || model == .ugm
            var charsmap: [UInt8] = []
            if m.contains("tokenizer.ggml.precompiled_charsmap") {
                switch try m.array("tokenizer.ggml.precompiled_charsmap") {
                case let .uint8(b): charsmap = b
                case let .int8(b): charsmap = b.map { UInt8(bitPattern: $0) }
                default: charsmap = try m.integers("tokenizer.ggml.precompiled_charsmap", as: UInt8.self)
                }
            }
            var fim: [String: Int32] = [:]
            for (role, keys) in [("pre", ["fim_pre", "prefix"]), ("suf", ["fim_suf", "suffix"]), ("mid", ["fim_mid", "middle"]),
                                 ("pad", ["fim_pad"]), ("rep", ["fim_rep"]), ("sep", ["fim_sep"])] {
                for key in keys { if let v = try id(key) { fim[role] = v } }
            }
            let addBOS = try m.boolIfPresent("tokenizer.ggml.add_bos_token") ?? defaultBOS
            self.init(model: model, pre: model == .gemma4 ? "gemma4" : try m.stringIfPresent("tokenizer.ggml.pre") ?? "default",
                      tokens: tokens, scores: scores, types: types, merges: merges,
                      bos: try id("bos"), eos: try id("eos"), eot: try id("eot"), unk: try id("unknown"),
                      sep: try id("seperator") ?? id("separator"), pad: try id("padding"), cls: try id("cls"), mask: try id("mask"),
                      addBOS: model == .gemma4 ? true : addBOS,
                      addEOS: try m.boolIfPresent("tokenizer.ggml.add_eos_token") ?? defaultEOS,
                      addSpacePrefix: try m.boolIfPresent("tokenizer.ggml.add_space_prefix") ?? (model == .spm),
                      removeExtraWhitespaces: try m.boolIfPresent("tokenizer.ggml.remove_extra_whitespaces") ?? false,
                      precompiledCharsmap: charsmap, fimTokens: fim,
                      name: try m.stringIfPresent("general.name") ?? "",
                      architecture: try m.stringIfPresent("general.architecture") ?? "")
        } catch let e as GGUFError {
            throw .metadata(e)
        } catch let e as VocabularyError {
            throw e
        } catch {
            throw .unsupportedModel("\(error)")
        }
    }
}
