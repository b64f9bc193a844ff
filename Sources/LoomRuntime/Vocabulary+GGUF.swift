// Vocabulary from GGUF metadata: tokenizer.ggml.{model, pre, tokens, scores, token_type, merges,
// *_token_id, add_*_token, add_space_prefix}, with llama.cpp's defaults where a key is absent.

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
        case let .unsupportedModel(m): return "unsupported tokenizer.ggml.model '\(m)' (supported: gpt2, llama, bert)"
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
            // WordPiece adds CLS/SEP.
            let defaultBOS = model != .bpe, defaultEOS = model == .wpm
            self.init(model: model, pre: try m.stringIfPresent("tokenizer.ggml.pre") ?? "default", tokens: tokens,
                      scores: scores, types: types, merges: merges,
                      bos: try id("bos"), eos: try id("eos"), eot: try id("eot"), unk: try id("unknown"),
                      sep: try id("seperator") ?? id("separator"), pad: try id("padding"), cls: try id("cls"), mask: try id("mask"),
                      addBOS: try m.boolIfPresent("tokenizer.ggml.add_bos_token") ?? defaultBOS,
                      addEOS: try m.boolIfPresent("tokenizer.ggml.add_eos_token") ?? defaultEOS,
                      addSpacePrefix: try m.boolIfPresent("tokenizer.ggml.add_space_prefix") ?? (model == .spm))
        } catch let e as GGUFError {
            throw .metadata(e)
        } catch let e as VocabularyError {
            throw e
        } catch {
            throw .unsupportedModel("\(error)")
        }
    }
}
