// fuzz-tokenizer: any text through real vocabularies, loaded once at start from the model files
// (GGUF metadata → Vocabulary → Tokenizers.make, as the runtime builds them):
//   0  SmolLM2-135M-Instruct   byte-level BPE      decode(encode(x)) == x exactly
//   1  Gemma 3 270M            SentencePiece BPE   decode(encode(x)) == x with "▁" read as " "
//   2  all-MiniLM-L6-v2        WordPiece           (normalizes: no round trip; ids only)
//      (llama.cpp's ggml-vocab-bert-bge.gguf, the same uncased BERT vocabulary, when MiniLM's
//      converted GGUF is absent)
// Input: first byte = tokenizer (low bits, mod 3) and parseSpecial (bit 2); the rest is the text
// (UTF-8, invalid sequences replaced). Checks: every id in range; the round trip above; the
// streaming decoder's chunks (pushed one id at a time) concatenate to decode(ids).
// Seeds: Fuzz/Corpus/tokenizer.

import Foundation
import FuzzSupport
import LoomGGUF
import LoomRuntimeVocabulary
import LoomTokenizers

func load(_ candidates: [String]) -> any Tokenizer {
    for relative in candidates {
        let path = Fuzz.root + "/" + relative
        guard FileManager.default.fileExists(atPath: path) else { continue }
        do {
            let file = try GGUFFile(path: path)
            return try Tokenizers.make(try Vocabulary(metadata: file.metadata))
        } catch {
            Fuzz.check(false, "cannot build the tokenizer of \(path): \(error)")
        }
    }
    Fuzz.check(false, "none of \(candidates) exists under \(Fuzz.root) (run `make models`)")
    fatalError("unreachable")
}

let tokenizers: [any Tokenizer] = [
    load([".cache/models/SmolLM2-135M-Instruct.Q4_1.gguf"]),
    load([".cache/models/gemma-3-270m-Q4_K_M.gguf"]),
    load([".cache/models/all-MiniLM-L6-v2.F16.gguf", ".cache/llama-cpp/models/ggml-vocab-bert-bge.gguf"]),
]

Fuzz.run { bytes in
    guard let selector = bytes.first else { return }
    let tokenizer = tokenizers[Int(selector & 3) % tokenizers.count]
    let parseSpecial = selector & 4 != 0
    let text = String(decoding: bytes.dropFirst(), as: UTF8.self)
    let count = tokenizer.vocabulary.tokens.count

    let withSpecial = tokenizer.encode(text, addSpecial: true, parseSpecial: parseSpecial)
    for id in withSpecial { Fuzz.check(id >= 0 && Int(id) < count, "id \(id) out of range (\(count) tokens)") }
    let ids = tokenizer.encode(text, addSpecial: false, parseSpecial: parseSpecial)
    for id in ids { Fuzz.check(id >= 0 && Int(id) < count, "id \(id) out of range (\(count) tokens)") }

    let decoded = tokenizer.decode(ids)
    let v = tokenizer.vocabulary
    switch v.model {
    case .bpe, .gemma4:
        Fuzz.check(Array(decoded.utf8) == Array(text.utf8), "BPE round trip: \(text.debugDescription) → \(ids) → \(decoded.debugDescription)")
    case .spm where !v.addSpacePrefix:
        let want = text.replacingOccurrences(of: "\u{2581}", with: " ")
        Fuzz.check(Array(decoded.utf8) == Array(want.utf8), "SPM round trip: \(text.debugDescription) → \(ids) → \(decoded.debugDescription)")
    default:
        break
    }

    var stream = StreamingDecoder(tokenizer)
    var streamed = ""
    for id in withSpecial { streamed += stream.push(id) }
    streamed += stream.flush()
    let whole = tokenizer.decode(withSpecial)
    Fuzz.check(Array(streamed.utf8) == Array(whole.utf8), "streamed \(streamed.debugDescription) != decoded \(whole.debugDescription)")
}
