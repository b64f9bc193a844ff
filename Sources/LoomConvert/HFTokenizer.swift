// HFTokenizer: a model folder's tokenizer files → the token list, token types and merges GGUF stores,
// as llama.cpp's TextModel.get_vocab_base (conversion/base.py) builds them.
//
//   tokens[id]   the vocabulary by id (tokenizer.json model.vocab, or vocab.txt line order), with
//                tokenizer.json's added_tokens written over their ids; ids the vocabulary does not
//                use, up to config.json's vocab_size, become "[PAD<id>]" of type UNUSED
//   types[id]    added token that is special or looks special (<|…|>, <pad>, <unused…>) → CONTROL (3);
//                other added token → USER_DEFINED (4, with "▁" turned back into " "); else NORMAL (1)
//   merges       tokenizer.json model.merges: "a b" strings, or ["a", "b"] pairs joined by a space
//                (a space inside a pair's part is written as U+0120, as gguf-py's SpecialVocab does)
//
// llama.cpp re-encodes added tokens marked normalized=false through the HF tokenizer; Loom cannot run
// that tokenizer, so those tokens are taken verbatim (identical for every tokenizer Loom targets).
// Vocab keys are read in file order and compared by code point (LoomJSON), so two tokens that differ
// only in Unicode normalization stay apart; WordPiece prefers vocab.txt (read by line) when present.

import Foundation
import LoomJSON

/// GGUF token types (llama.cpp's llama_token_type).
enum TokenType {
    static let normal: Int32 = 1, unknown: Int32 = 2, control: Int32 = 3
    static let userDefined: Int32 = 4, unused: Int32 = 5, byte: Int32 = 6
}

/// One entry of tokenizer.json's added_tokens.
struct AddedToken: Sendable {
    var id: Int
    var content: String
    var special: Bool
}

/// Tokens and their types, by id.
struct TokenList: Sendable {
    var tokens: [String]
    var types: [Int32]
}

/// The tokenizer files of a model folder.
struct HFTokenizerFiles {
    /// tokenizer.json.
    let tokenizer: JSONObject?
    /// tokenizer_config.json.
    let config: JSONObject?
    /// special_tokens_map.json.
    let specialMap: JSONObject?
    /// vocab.txt (WordPiece, one token per line).
    let vocabText: String?
    /// tokenizer.json's added_tokens.
    let added: [AddedToken]

    init(folder: HFModelFolder) throws(ConvertError) {
        tokenizer = try folder.json("tokenizer.json")
        config = try folder.json("tokenizer_config.json")
        specialMap = try folder.json("special_tokens_map.json")
        vocabText = try folder.text("vocab.txt")
        added = try tokenizer.map { t throws(ConvertError) in try Self.addedTokens(t) } ?? []
    }

    private static func addedTokens(_ t: JSONObject) throws(ConvertError) -> [AddedToken] {
        var out: [AddedToken] = []
        for (i, raw) in (try t.arrayIfPresent("added_tokens") ?? []).enumerated() {
            guard raw.members != nil, let id = raw["id"]?.intValue, id >= 0,
                  let content = raw["content"]?.stringValue else {
                throw .invalidTokenizer(file: "tokenizer.json", reason: "added_tokens[\(i)] lacks an id or content")
            }
            out.append(AddedToken(id: id, content: content, special: raw["special"]?.boolValue ?? false))
        }
        return out
    }

    /// tokenizer.json's `model` object, or an error naming what the conversion needed.
    func model(type wanted: String, architecture: String) throws(ConvertError) -> JSONObject {
        guard let t = tokenizer else { throw .missingTokenizer(architecture: architecture, needed: "tokenizer.json") }
        guard let model = try t.objectIfPresent("model") else { throw .missingKey(file: "tokenizer.json", key: "model") }
        let type = try model.stringIfPresent("type") ?? (model.has("merges") ? "BPE" : "unknown")
        guard type == wanted else {
            throw .invalidTokenizer(file: "tokenizer.json", reason: "model type is \(type); the \(architecture) conversion reads \(wanted)")
        }
        return model
    }

    /// A `vocab` object (token → id) as pairs.
    static func vocabPairs(_ model: JSONObject) throws(ConvertError) -> [(String, Int)] {
        guard let vocab = try model.objectIfPresent("vocab") else { throw .missingKey(file: "tokenizer.json", key: "model.vocab") }
        var pairs: [(String, Int)] = []
        pairs.reserveCapacity(vocab.members.count)
        for (token, raw) in vocab.members {
            guard let id = raw.intValue, id >= 0 else {
                throw .invalidTokenizer(file: "tokenizer.json", reason: "model.vocab[\"\(token)\"] is not a non-negative id")
            }
            pairs.append((token, id))
        }
        return pairs
    }

    /// The content of special token `kind` ("bos", "cls", …) named by tokenizer_config.json, else by
    /// special_tokens_map.json (a string, or an object's "content").
    func specialContent(_ kind: String) -> String? {
        config?["\(kind)_token"]?.tokenContent ?? specialMap?["\(kind)_token"]?.tokenContent
    }

    /// tokenizer.json's BPE merges as "a b" strings.
    func merges(_ model: JSONObject) throws(ConvertError) -> [String] {
        var out: [String] = []
        let raw = try model.arrayIfPresent("merges") ?? []
        out.reserveCapacity(raw.count)
        for (i, m) in raw.enumerated() {
            if let s = m.stringValue {
                out.append(s)
            } else if let pair = m.arrayValue, pair.count == 2, let a = pair[0].stringValue, let b = pair[1].stringValue {
                func escape(_ s: String) -> String { s.replacingOccurrences(of: " ", with: "\u{120}") }
                out.append(escape(a) + " " + escape(b))
            } else {
                throw .invalidTokenizer(file: "tokenizer.json", reason: "model.merges[\(i)] is neither \"a b\" nor [\"a\", \"b\"]")
            }
        }
        return out
    }

    /// llama.cpp's TextModel.does_token_look_special.
    static func looksSpecial(_ t: String) -> Bool {
        ["<pad>", "<mask>", "<2mass>", "[@BOS@]"].contains(t)
            || (t.hasPrefix("<|") && t.hasSuffix("|>")) || (t.hasPrefix("<｜") && t.hasSuffix("｜>"))
            || (t.hasPrefix("<unused") && t.hasSuffix(">"))
    }

    /// The id-ordered token list of `vocab` with `added` written over it, padded to `vocabSize`.
    static func tokenList(vocab: [(String, Int)], added: [AddedToken], vocabSize: Int?, file: String) throws(ConvertError) -> TokenList {
        let maxID = max(vocab.map(\.1).max() ?? -1, added.map(\.id).max() ?? -1)
        let size = vocabSize ?? (maxID + 1)
        guard maxID < size else {
            throw .invalidTokenizer(file: file, reason: "token id \(maxID) is not below config.json's vocab_size \(size)")
        }
        var tokens = (0..<size).map { "[PAD\($0)]" }
        var types = [Int32](repeating: TokenType.unused, count: size)
        for (token, id) in vocab {
            tokens[id] = token
            types[id] = TokenType.normal
        }
        for a in added {
            if a.special || looksSpecial(a.content) {
                tokens[a.id] = a.content
                types[a.id] = TokenType.control
            } else {
                tokens[a.id] = a.content.replacingOccurrences(of: "\u{2581}", with: " ")
                types[a.id] = TokenType.userDefined
            }
        }
        return TokenList(tokens: tokens, types: types)
    }
}
