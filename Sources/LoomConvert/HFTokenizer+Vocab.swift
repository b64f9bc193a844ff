// The two vocabularies the converter writes: BERT's WordPiece in llama.cpp's "phantom space" form
// (conversion/bert.py BertModel.set_vocab) and gpt2-style byte-level BPE (base.py _set_vocab_gpt2),
// plus the `tokenizer.ggml.pre` name of a tokenizer.json pre_tokenizer.
//
// Phantom space: WordPiece marks word-continuing pieces with "##"; llama.cpp instead marks
// word-starting pieces with "▁" (U+2581). CONTROL tokens stay as they are, "##x" → "x", any other
// token t → "▁t".
//
// tokenizer.ggml.pre: llama.cpp hashes the HF tokenizer's output on a probe text; Loom cannot run the
// HF tokenizer, so it recognizes the pre_tokenizer structures of the models it targets instead:
//   ByteLevel(use_regex: true)                                        → "gpt-2"
//   Sequence[Digits(individual_digits: true), ByteLevel(use_regex: true)]   → "smollm"
//   Sequence[Split(Llama-3 regex, Isolated), ByteLevel(use_regex: false)]   → "llama-bpe"
//   Sequence[Split(Qwen2 regex, Isolated), ByteLevel(use_regex: false)]     → "qwen2"
//   anything else                                                     → "default" (no error)

import Foundation
import LoomJSON

extension HFTokenizerFiles {
    /// The Llama-3 pre-tokenizer regex as tokenizer.json spells it.
    static let llama3Regex = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#
    /// Qwen2's: the same with single digits.
    static let qwen2Regex = #"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#

    /// BERT's vocabulary in phantom-space form: vocab.txt by line when present, else tokenizer.json's
    /// WordPiece vocab; specials are tokenizer.json's added_tokens, or (vocab.txt alone) the tokens
    /// tokenizer_config.json / special_tokens_map.json name.
    func wordPiece(vocabSize: Int?) throws(ConvertError) -> TokenList {
        let vocab: [(String, Int)]
        let file: String
        if let text = vocabText {
            vocab = Self.lines(text).enumerated().map { ($1, $0) }
            file = "vocab.txt"
        } else if tokenizer != nil {
            vocab = try Self.vocabPairs(try model(type: "WordPiece", architecture: "bert"))
            file = "tokenizer.json"
        } else {
            throw .missingTokenizer(architecture: "bert", needed: "vocab.txt or a WordPiece tokenizer.json")
        }
        let specials = tokenizer != nil ? added : namedSpecials(in: vocab)
        var list = try Self.tokenList(vocab: vocab, added: specials, vocabSize: vocabSize, file: file)
        for i in list.tokens.indices where list.types[i] != TokenType.control {
            let t = list.tokens[i]
            list.tokens[i] = t.hasPrefix("##") ? String(t.dropFirst(2)) : "\u{2581}" + t
        }
        return list
    }

    /// Lines of a vocab.txt (a final newline ends the last line; "\r\n" counts as one newline).
    static func lines(_ text: String) -> [String] {
        var out = text.utf8.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false).map { line in
            String(decoding: line.last == UInt8(ascii: "\r") ? line.dropLast() : line, as: UTF8.self)
        }
        if out.last == "" { out.removeLast() }
        return out
    }

    /// The special tokens tokenizer_config.json / special_tokens_map.json name, found in `vocab`.
    private func namedSpecials(in vocab: [(String, Int)]) -> [AddedToken] {
        var names = ["unk", "sep", "pad", "cls", "mask", "bos", "eos"].compactMap { specialContent($0) }
        for source in [config, specialMap] {
            for item in source?["additional_special_tokens"]?.arrayValue ?? [] {
                if let c = item.tokenContent { names.append(c) }
            }
        }
        var out: [AddedToken] = []
        for name in Set(names) {
            if let id = vocab.last(where: { $0.0 == name })?.1 { out.append(AddedToken(id: id, content: name, special: true)) }
        }
        return out.sorted { $0.id < $1.id }
    }

    /// gpt2-style byte-level BPE: tokens, types, merges and the pre-tokenizer name.
    func bytePairs(vocabSize: Int?, architecture: String) throws(ConvertError) -> (list: TokenList, merges: [String], pre: String) {
        let model = try model(type: "BPE", architecture: architecture)
        let list = try Self.tokenList(vocab: try Self.vocabPairs(model), added: added, vocabSize: vocabSize, file: "tokenizer.json")
        let merges = try merges(model)
        guard !merges.isEmpty else { throw .invalidTokenizer(file: "tokenizer.json", reason: "the BPE model has no merges") }
        return (list, merges, Self.preName(tokenizer?["pre_tokenizer"]))
    }

    /// The `tokenizer.ggml.pre` name for a tokenizer.json pre_tokenizer (see the table above).
    static func preName(_ raw: JSONValue?) -> String {
        guard let d = raw, let type = d["type"]?.stringValue else { return "default" }
        func usesRegex(_ p: JSONValue) -> Bool { p["use_regex"]?.boolValue ?? true }
        if type == "ByteLevel" { return usesRegex(d) ? "gpt-2" : "default" }
        guard type == "Sequence", let list = d["pretokenizers"]?.arrayValue, list.count == 2,
              list[1]["type"]?.stringValue == "ByteLevel" else { return "default" }
        let first = list[0], byteLevelRegex = usesRegex(list[1])
        switch first["type"]?.stringValue {
        case "Digits":
            let individual = first["individual_digits"]?.boolValue ?? false
            return individual && byteLevelRegex ? "smollm" : "default"
        case "Split":
            guard !byteLevelRegex, first["behavior"]?.stringValue == "Isolated",
                  !(first["invert"]?.boolValue ?? false),
                  let pattern = first["pattern"]?["Regex"]?.stringValue else { return "default" }
            if pattern == llama3Regex { return "llama-bpe" }
            if pattern == qwen2Regex { return "qwen2" }
            return "default"
        default:
            return "default"
        }
    }
}
