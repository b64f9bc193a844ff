// The real all-MiniLM-L6-v2 folder (BertModel, F32 safetensors, sentence-transformers mean pooling)
// converted to F32 (every tensor bit for bit) and F16 (within fp16 rounding), its metadata and
// WordPiece vocabulary, and the file read back by gguf-py (LOOM_PYTHON) exactly as Loom reads it.

import Foundation
import Testing
import LoomGGUF
import LoomTensor
@testable import LoomConvert

@Suite("all-MiniLM-L6-v2 → GGUF", .serialized)
struct MiniLMTests {
    static let enabled = ConvertFixtures.available(ConvertFixtures.miniLM)
    static let skipNote: Comment = "needs .cache/models/all-MiniLM-L6-v2 (Scripts/fetch-models.sh; make test requires it)"

    /// GGUF name → HF name for the 6-layer model, written out independently of the converter.
    static let names: [String: String] = {
        var m = ["token_embd.weight": "embeddings.word_embeddings.weight",
                 "position_embd.weight": "embeddings.position_embeddings.weight",
                 "token_types.weight": "embeddings.token_type_embeddings.weight",
                 "token_embd_norm.weight": "embeddings.LayerNorm.weight", "token_embd_norm.bias": "embeddings.LayerNorm.bias"]
        let parts = ["attn_q": "attention.self.query", "attn_k": "attention.self.key", "attn_v": "attention.self.value",
                     "attn_output": "attention.output.dense", "attn_output_norm": "attention.output.LayerNorm",
                     "ffn_up": "intermediate.dense", "ffn_down": "output.dense", "layer_output_norm": "output.LayerNorm"]
        for i in 0..<6 {
            for (g, h) in parts {
                for s in ["weight", "bias"] { m["blk.\(i).\(g).\(s)"] = "encoder.layer.\(i).\(h).\(s)" }
            }
        }
        return m
    }()

    /// Converts MiniLM to `type` in a temp dir; returns the opened GGUF, the source and the path.
    static func convert(_ type: ConvertOutputType) throws -> (GGUFFile, SafetensorsFile, String, Duration) {
        let dir = try ConvertFixtures.temporaryDirectory()
        let out = dir + "/minilm-\(type.rawValue).gguf"
        let clock = ContinuousClock()
        var summary: ConversionSummary?
        let elapsed = try clock.measure {
            summary = try HFConverter.convert(try HFModelFolder(directory: ConvertFixtures.miniLM), to: out, type: type)
        }
        #expect(summary?.tensorCount == 101 && summary?.architecture == "bert" && summary?.outputType == type)
        print("converted all-MiniLM-L6-v2 to \(type.rawValue) in \(elapsed)")
        return (try GGUFFile(path: out), try SafetensorsFile(path: ConvertFixtures.miniLM + "/model.safetensors"), out, elapsed)
    }

    @Test("F32: every GGUF tensor equals its safetensors tensor bit for bit", .enabled(if: enabled, skipNote))
    func f32BitExact() throws {
        let (file, source, out, _) = try Self.convert(.f32)
        defer { try? FileManager.default.removeItem(atPath: (out as NSString).deletingLastPathComponent) }
        #expect(file.tensors.count == 101 && Set(file.tensors.map(\.name)) == Set(Self.names.keys))
        for t in file.tensors {
            let hfName = try #require(Self.names[t.name])
            let hf = try #require(source.tensor(named: hfName))
            #expect(t.type == .f32 && t.shape == hf.shape.reversed(), "\(t.name)")
            #expect(file.withBytes(of: t) { Array($0) } == Array(source.bytes(of: hf)), "\(t.name) differs")
        }
        let total = file.tensors.reduce(0) { $0 + $1.elementCount }
        #expect(try file.metadata.string("general.size_label") == HFConverter.sizeLabel(total))
    }

    @Test("metadata and the phantom-space WordPiece vocabulary", .enabled(if: enabled, skipNote))
    func metadata() throws {
        let (file, _, out, _) = try Self.convert(.f32)
        defer { try? FileManager.default.removeItem(atPath: (out as NSString).deletingLastPathComponent) }
        let m = file.metadata
        #expect(try m.string("general.architecture") == "bert" && m.string("general.name") == "all-MiniLM-L6-v2")
        #expect(try m.uint32("bert.pooling_type") == 1)
        #expect(try m.float("bert.attention.layer_norm_epsilon") == Float(1e-12))
        #expect(try m.uint32("bert.attention.head_count") == 12 && m.uint32("bert.block_count") == 6)
        #expect(try m.uint32("bert.embedding_length") == 384 && m.uint32("bert.feed_forward_length") == 1536)
        #expect(try m.uint32("bert.context_length") == 512 && m.uint32("tokenizer.ggml.token_type_count") == 2)
        #expect(try m.bool("bert.attention.causal") == false)
        #expect(try m.string("tokenizer.ggml.model") == "bert")
        let tokens = try m.strings("tokenizer.ggml.tokens"), types = try m.integers("tokenizer.ggml.token_type", as: Int32.self)
        #expect(tokens.count == 30522 && types.count == 30522)
        #expect(tokens[101] == "[CLS]" && types[101] == 3 && tokens[0] == "[PAD]" && types[0] == 3)
        let vocab = HFTokenizerFiles.lines(try String(contentsOfFile: ConvertFixtures.miniLM + "/vocab.txt", encoding: .utf8))
        let hello = try #require(vocab.firstIndex(of: "hello")), ing = try #require(vocab.firstIndex(of: "##ing"))
        #expect(tokens[hello] == "\u{2581}hello" && types[hello] == 1)
        #expect(tokens[ing] == "ing" && types[ing] == 1)
        for (key, id) in [("cls", 101), ("seperator", 102), ("padding", 0), ("unknown", 100), ("mask", 103)] {
            #expect(try m.uint32("tokenizer.ggml.\(key)_token_id") == UInt32(id), "\(key)")
        }
        // gguf-py's SpecialVocab on this tokenizer.json: bos/eos borrow cls/sep, "[CLS] $A [SEP]" adds both.
        #expect(try m.uint32("tokenizer.ggml.bos_token_id") == 101 && m.uint32("tokenizer.ggml.eos_token_id") == 102)
        #expect(try m.bool("tokenizer.ggml.add_bos_token") == true && m.bool("tokenizer.ggml.add_eos_token") == true)
        #expect(try m.bool("tokenizer.ggml.normalizer.lowercase") == true)
    }

    @Test("tokenizer.json's WordPiece vocab (no vocab.txt, folder given as a file map) gives the same tokens",
          .enabled(if: enabled, skipNote))
    func wordPieceFromTokenizerJSON() throws {
        let full = try HFModelFolder(directory: ConvertFixtures.miniLM)
        let noVocabTxt = try HFModelFolder(files: full.files.filter { $0.key != "vocab.txt" })
        #expect(noVocabTxt.name == "MiniLM-L6-H384-uncased" && noVocabTxt.architecture == "BertModel")
        let fromText = try HFTokenizerFiles(folder: full).wordPiece(vocabSize: 30522)
        let fromJSON = try HFTokenizerFiles(folder: noVocabTxt).wordPiece(vocabSize: 30522)
        #expect(fromJSON.tokens == fromText.tokens && fromJSON.types == fromText.types)
        #expect(!fromJSON.tokens.contains { $0.hasPrefix("[PAD") && $0 != "[PAD]" }, "no holes")
    }

    @Test("F16: matrices within fp16 rounding of the F32 source; F32 tensors exact", .enabled(if: enabled, skipNote))
    func f16RoundTrip() throws {
        let (file, source, out, _) = try Self.convert(.f16)
        defer { try? FileManager.default.removeItem(atPath: (out as NSString).deletingLastPathComponent) }
        #expect(try file.metadata.uint32("general.file_type") == 1)
        var f16Count = 0
        for t in file.tensors {
            let hfName = try #require(Self.names[t.name])
            let x = try source.floats(of: try #require(source.tensor(named: hfName)))
            let y = try ggufFloats(file, t.name)
            #expect(x.count == y.count)
            if t.type == .f16 {
                f16Count += 1
                // Nearest fp16: at most half a unit in the last place (2^-11 relative for normals, 2^-25 absolute below).
                let worst = zip(x, y).map { abs($0 - $1) - max(abs($0) * 0x1p-11, 0x1p-25) }.max() ?? 0
                #expect(worst <= 0, "\(t.name) exceeds fp16 rounding")
                #expect(y == x.map { Float(Float16($0)) }, "\(t.name) is not round-to-nearest-even")
            } else {
                #expect(y == x, "\(t.name) (F32) differs")
            }
        }
        #expect(f16Count == 1 + 6 * 6)   // token_embd + q, k, v, output, up, down per layer
        #expect(file.tensor(named: "position_embd.weight")?.type == .f32 && file.tensor(named: "token_types.weight")?.type == .f32)
    }

    @Test("gguf-py reads the converted file as Loom does (tensors, bytes, metadata)",
          .enabled(if: enabled && (ConvertFixtures.python != nil || ConvertFixtures.requireModels), "needs LOOM_PYTHON and the model"))
    func pythonReadsIt() throws {
        let (file, _, out, _) = try Self.convert(.f16)
        defer { try? FileManager.default.removeItem(atPath: (out as NSString).deletingLastPathComponent) }
        try PythonCheck.compare(file, path: out, keys: ["general.architecture", "bert.pooling_type", "bert.block_count",
                                                      "tokenizer.ggml.model", "tokenizer.ggml.cls_token_id"])
    }
}

/// Reads a GGUF with gguf-py's GGUFReader and compares it with Loom's view.
enum PythonCheck {
    static let script = """
    import json, sys, zlib
    from gguf import GGUFReader
    r = GGUFReader(sys.argv[1])
    keys = sys.argv[2:]
    out = {"tensors": [[t.name, t.tensor_type.name, [int(x) for x in t.shape], zlib.crc32(t.data.tobytes())] for t in r.tensors],
           "values": {k: r.fields[k].contents() for k in keys}, "kv_count": len(r.fields),
           "tokens": len(r.fields["tokenizer.ggml.tokens"].contents())}
    print(json.dumps(out))
    """

    static func compare(_ file: GGUFFile, path: String, keys: [String]) throws {
        let data = try runPython(script, [path] + keys)
        let json = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let tensors = try #require(json["tensors"] as? [[Any]])
        #expect(tensors.count == file.tensors.count)
        for (theirs, ours) in zip(tensors, file.tensors) {
            #expect(theirs[0] as? String == ours.name)
            #expect(theirs[1] as? String == ours.type.name, "\(ours.name)")
            #expect((theirs[2] as? [Int]) == ours.shape, "\(ours.name)")
            let crc = file.withBytes(of: ours) { CRC32.of($0) }
            #expect((theirs[3] as? NSNumber)?.uint32Value == crc, "\(ours.name) bytes")
        }
        // gguf-py counts its three GGUF.* header fields as fields.
        #expect((json["kv_count"] as? Int) == file.metadata.count + 3)
        #expect((json["tokens"] as? Int) == (try file.metadata.strings("tokenizer.ggml.tokens").count))
        let values = try #require(json["values"] as? [String: Any])
        for key in keys {
            switch file.metadata[key] {
            case let .string(s)?: #expect(values[key] as? String == s, "\(key)")
            case let .uint32(u)?: #expect((values[key] as? NSNumber)?.uint32Value == u, "\(key)")
            default: Issue.record("\(key): unexpected type")
            }
        }
    }
}
