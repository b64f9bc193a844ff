// Unit tests of the pieces: element conversion, llama's q/k permutation, output-type rules, size
// labels, tokenizer.ggml.pre recognition, merges, phantom-space tokens and special-token rules.

import Foundation
import Testing
import LoomJSON
import LoomTensor
@testable import LoomConvert

@Suite("conversion pieces")
struct EncodingTests {
    static func bytes(_ values: [Float]) -> [UInt8] { values.flatMap { le($0.bitPattern) } }

    @Test("F32 → F16 rounds to nearest even; BF16 → F16 goes through f32; same type copies")
    func elementConversion() {
        // 1 + 2^-11 is halfway between two fp16 values: ties to even gives 1.0.
        let src = Self.bytes([1 + 0x1p-11, 1 + 3 * 0x1p-11, 70000, -0.0])
        let f16 = src.withUnsafeBytes { TensorEncoding.encode($0, from: .f32, to: .f16) }
        #expect(f16 == [Float16(1), Float16(1 + 4 * 0x1p-11), Float16.infinity, Float16(-0.0)].flatMap { le($0.bitPattern) })
        let bf: [UInt16] = [0x3FC0, 0xC2F7]   // 1.5, -123.5
        let viaF32 = bf.flatMap(le).withUnsafeBytes { TensorEncoding.encode($0, from: .bf16, to: .f16) }
        #expect(viaF32 == [Half.f16(from: 1.5), Half.f16(from: -123.5)].flatMap(le))
        let same = src.withUnsafeBytes { TensorEncoding.encode($0, from: .f32, to: .f32) }
        #expect(same == src)
        let toBF16 = src.withUnsafeBytes { TensorEncoding.encode($0, from: .f32, to: .bf16) }
        #expect(toBF16.count == 8)
    }

    @Test("llama's q/k permutation interleaves each head's two rotary halves")
    func permutation() {
        // 2 heads × 4 rows of 2 floats; row r holds [r, r].
        let rows = (0..<8).flatMap { [Float($0), Float($0)] }
        let out = Self.bytes(rows).withUnsafeBytes { TensorEncoding.permuteRows($0, rows: 8, heads: 2) }
        let got = out.withUnsafeBytes { TensorEncoding.decode($0, dtype: .f32) }
        #expect(got == [0, 2, 1, 3, 4, 6, 5, 7].flatMap { [Float($0), Float($0)] })
        // A 1-D bias permutes as rows of one element.
        let bias = Self.bytes((0..<4).map(Float.init)).withUnsafeBytes { TensorEncoding.permuteRows($0, rows: 4, heads: 1) }
        #expect(bias.withUnsafeBytes { TensorEncoding.decode($0, dtype: .f32) } == [0, 2, 1, 3])
    }

    @Test("output types: 1-D, norms, biases, position_embd and token_types stay F32")
    func outputTypes() {
        #expect(PlannedTensor.outputType("blk.0.attn_q.weight", dims: 2, requested: .f16) == .f16)
        #expect(PlannedTensor.outputType("token_embd.weight", dims: 2, requested: .bf16) == .bf16)
        #expect(PlannedTensor.outputType("blk.0.attn_q.bias", dims: 1, requested: .f16) == .f32)
        #expect(PlannedTensor.outputType("blk.0.attn_norm.weight", dims: 1, requested: .f16) == .f32)
        #expect(PlannedTensor.outputType("position_embd.weight", dims: 2, requested: .f16) == .f32)
        #expect(PlannedTensor.outputType("token_types.weight", dims: 2, requested: .f16) == .f32)
    }

    @Test("size labels as gguf-py writes them")
    func sizeLabels() {
        #expect(HFConverter.sizeLabel(134_515_008) == "135M")
        #expect(HFConverter.sizeLabel(22_713_216) == "23M")
        #expect(HFConverter.sizeLabel(1_235_814_400) == "1.2B")
        #expect(HFConverter.sizeLabel(7_241_732_096) == "7.2B")
        #expect(HFConverter.sizeLabel(4_000) == "4.0K")
    }

    static func json(_ text: String) -> JSONValue? { try? JSONValue.parse(text) }

    @Test("tokenizer.ggml.pre from the tokenizer.json pre_tokenizer")
    func preNames() throws {
        let smollm = #"{"type":"Sequence","pretokenizers":[{"type":"Digits","individual_digits":true},{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,"use_regex":true}]}"#
        #expect(HFTokenizerFiles.preName(Self.json(smollm)) == "smollm")
        let split = { (regex: String) in
            let pattern = String(decoding: try JSONSerialization.data(withJSONObject: [regex], options: [.withoutEscapingSlashes]), as: UTF8.self)
            return #"{"type":"Sequence","pretokenizers":[{"type":"Split","pattern":{"Regex":"#
                + pattern.dropFirst().dropLast()
                + #"},"behavior":"Isolated","invert":false},{"type":"ByteLevel","add_prefix_space":false,"trim_offsets":true,"use_regex":false}]}"#
        }
        #expect(HFTokenizerFiles.preName(Self.json(try split(HFTokenizerFiles.llama3Regex))) == "llama-bpe")
        #expect(HFTokenizerFiles.preName(Self.json(try split(HFTokenizerFiles.qwen2Regex))) == "qwen2")
        #expect(HFTokenizerFiles.preName(Self.json(try split("\\s+"))) == "default")
        #expect(HFTokenizerFiles.preName(Self.json(#"{"type":"ByteLevel","add_prefix_space":false,"use_regex":true}"#)) == "gpt-2")
        #expect(HFTokenizerFiles.preName(Self.json(#"{"type":"Metaspace"}"#)) == "default")
        #expect(HFTokenizerFiles.preName(nil) == "default")
    }

    @Test("merges as strings or pairs; a space inside a pair's part becomes U+0120")
    func merges() throws {
        let files = try HFTokenizerFiles.empty()
        let pairs = JSONObject(file: "tokenizer.json", members: [("merges", [["Ġ", "t"], ["a b", "c"]])])
        #expect(try files.merges(pairs) == ["Ġ t", "a\u{120}b c"])
        let strings = JSONObject(file: "tokenizer.json", members: [("merges", ["Ġ t", "i n"])])
        #expect(try files.merges(strings) == ["Ġ t", "i n"])
        let bad = JSONObject(file: "tokenizer.json", members: [("merges", [["a"]])])
        #expect(throws: ConvertError.self) { try files.merges(bad) }
    }

    @Test("token lists: holes become [PAD<id>] (UNUSED), added tokens CONTROL or USER_DEFINED")
    func tokenLists() throws {
        let added = [AddedToken(id: 3, content: "<|x|>", special: false), AddedToken(id: 4, content: "\u{2581}hi", special: false),
                     AddedToken(id: 0, content: "[PAD]", special: true)]
        let list = try HFTokenizerFiles.tokenList(vocab: [("[PAD]", 0), ("a", 1)], added: added, vocabSize: 6, file: "t")
        #expect(list.tokens == ["[PAD]", "a", "[PAD2]", "<|x|>", " hi", "[PAD5]"])
        #expect(list.types == [3, 1, 5, 3, 4, 5])
        #expect(throws: ConvertError.invalidTokenizer(file: "t", reason: "token id 7 is not below config.json's vocab_size 6")) {
            try HFTokenizerFiles.tokenList(vocab: [("a", 7)], added: [], vocabSize: 6, file: "t")
        }
    }

    @Test("vocab.txt lines: a final newline ends the last line, CRLF is one newline")
    func vocabLines() {
        #expect(HFTokenizerFiles.lines("[PAD]\r\nhello\n##ing\n") == ["[PAD]", "hello", "##ing"])
        #expect(HFTokenizerFiles.lines("a\n\nb") == ["a", "", "b"])
    }
}

extension HFTokenizerFiles {
    /// A folder with no tokenizer files (for calling instance helpers).
    static func empty() throws -> HFTokenizerFiles {
        let dir = try ConvertFixtures.temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try writeText(#"{"architectures": ["BertModel"]}"#, dir, "config.json")
        return try HFTokenizerFiles(folder: HFModelFolder(directory: dir))
    }
}
