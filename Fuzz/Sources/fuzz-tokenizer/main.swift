// fuzz-tokenizer: any text through real vocabularies, loaded once at start from the model files
// (GGUF metadata → Vocabulary → Tokenizers.make, as the runtime builds them):
//   0  SmolLM2-135M-Instruct   byte-level BPE      decode(encode(x)) == x exactly, but for the bytes
//                                                  the vocabulary has no token for (4, 6, 19, 20, 22,
//                                                  29, 192, 193, 241, 242, 245…255: dropped, as
//                                                  Hugging Face's tokenizers drops them)
//   1  Gemma 3 270M            SentencePiece BPE   the same, with "▁" read as " "
//   2  all-MiniLM-L6-v2        WordPiece           (normalizes: no round trip; ids only)
//      (llama.cpp's ggml-vocab-bert-bge.gguf, the same uncased BERT vocabulary, when MiniLM's
//      converted GGUF is absent)
// Input: first byte = tokenizer (low bits, mod 3), parseSpecial (bit 2), addSpecial too (bit 3); the rest is the text
// (UTF-8, invalid sequences replaced). Checks: every id in range; the round trip above; the
// streaming decoder's chunks (pushed one id at a time) concatenate to decode(ids).
// Seeds: Fuzz/Corpus/tokenizer.

import Foundation
import FuzzSupport
import LoomGGUF
import LoomRuntimeVocabulary
@testable import LoomTokenizers

/// Built once (Fuzz/lsan.supp: what fuzzSetUp* keeps for the whole run is not a leak).
@inline(never)
func fuzzSetUpTokenizer(_ candidates: [String]) -> any Tokenizer {
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
    fuzzSetUpTokenizer([".cache/models/SmolLM2-135M-Instruct.Q4_1.gguf"]),
    fuzzSetUpTokenizer([".cache/models/gemma-3-270m-Q4_K_M.gguf"]),
    fuzzSetUpTokenizer([".cache/models/all-MiniLM-L6-v2.F16.gguf", ".cache/llama-cpp/models/ggml-vocab-bert-bge.gguf"]),
]

/// The bytes a vocabulary has no token for (a byte-level BPE symbol, or an SPM <0xXX> piece).
@inline(never)
func fuzzSetUpMissingBytes(_ t: any Tokenizer) -> Set<UInt8> {
    let tokens = Set(t.vocabulary.tokens)
    return Set((0...255).map { UInt8($0) }.filter { b in
        switch t.vocabulary.model {
        case .bpe, .gemma4: return !tokens.contains(String(Character(ByteLevel.encode[Int(b)])))
        case .spm: return !tokens.contains(String(format: "<0x%02X>", b)) && !tokens.contains(String(decoding: [b], as: UTF8.self))
        default: return false
        }
    })
}

let missingBytes = tokenizers.map(fuzzSetUpMissingBytes)

/// `text` as a tokenizer without tokens for `missing` gives it back.
func expected(_ text: String, without missing: Set<UInt8>) -> [UInt8] {
    missing.isEmpty ? Array(text.utf8) : Array(String(decoding: text.utf8.filter { !missing.contains($0) }, as: UTF8.self).utf8)
}

Fuzz.run { bytes in
    guard let selector = bytes.first else { return }
    let which = Int(selector & 3) % tokenizers.count
    let tokenizer = tokenizers[which]
    let parseSpecial = selector & 4 != 0
    let text = String(decoding: bytes.dropFirst(), as: UTF8.self)
    let count = tokenizer.vocabulary.tokens.count

    let ids = tokenizer.encode(text, addSpecial: false, parseSpecial: parseSpecial)
    for id in ids { Fuzz.check(id >= 0 && Int(id) < count, "id \(id) out of range (\(count) tokens)") }
    // With BOS/EOS (CLS/SEP) when bit 3 is set: the same text between the vocabulary's added tokens.
    let withSpecial = selector & 8 == 0 ? ids : tokenizer.encode(text, addSpecial: true, parseSpecial: parseSpecial)
    for id in withSpecial { Fuzz.check(id >= 0 && Int(id) < count, "id \(id) out of range (\(count) tokens)") }

    let decoded = tokenizer.decode(ids)
    let v = tokenizer.vocabulary
    switch v.model {
    case .bpe, .gemma4:
        Fuzz.check(Array(decoded.utf8) == expected(text, without: missingBytes[which]), "BPE round trip: \(text.debugDescription) → \(ids) → \(decoded.debugDescription)")
    case .spm where !v.addSpacePrefix:
        let want = text.replacingOccurrences(of: "\u{2581}", with: " ")
        Fuzz.check(Array(decoded.utf8) == expected(want, without: missingBytes[which]), "SPM round trip: \(text.debugDescription) → \(ids) → \(decoded.debugDescription)")
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
