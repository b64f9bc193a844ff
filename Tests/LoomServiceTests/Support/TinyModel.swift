// TinyModel: a llama-architecture model with seeded random weights, small enough to load and run in
// milliseconds, for tests that must not need a downloaded model. One value, two outlets:
//   write(to:)     a GGUF file (GGUFWriter) with llama metadata, a byte-level BPE `gpt2` vocabulary
//                  and a Jinja `tokenizer.chat_template` — what Engine.load / the service read;
//   weights()      the same tensors as an in-memory WeightSource — what LlamaModel binds directly.
//
// Shape (defaults): dim 64, 2 layers, 4 heads of 16, 2 KV heads, ffn 128, context 256.
// Vocabulary: the 256 GPT-2 byte characters (ids 0…255 in byte order), a few merges ("Ġt", "he",
// "Ġthe", "in", "er", "on"), then <|endoftext|> (bos/pad), <|im_start|>, <|im_end|> (eos) as control
// tokens and <tool_call>, </tool_call> as user-defined tokens (as Qwen 2.5 has them).
//
// Steering a random model (so tests can assert behaviour, not content): channel 0 of the residual
// stream is a constant "bias channel" — every token embedding has x[0] = 1 and no layer writes
// channel 0 (row 0 of attn_output and ffn_down is zero), so the final normed x[0] is about +1.7 at
// every position. Output rows read channel 0 only where we want a bias: control tokens get −40
// (never sampled, so generation runs to num_predict: done_reason "length"), except that
// `Ending.always` gives the eos row +40 (every reply ends at once: done_reason "stop"), and
// `favourite` gives that token's row +40 (the model writes it whenever a constraint allows it).
// Every other output row has 0 in channel 0 and uniform random weights elsewhere (logits ~ ±2).

import Foundation
import LoomGGUF
import LoomKernels
import LoomModels
import LoomTensor

/// A tiny random llama model, as a GGUF file or in-memory weights.
struct TinyModel {
    /// How replies end.
    enum Ending: Sendable { case never, always }

    /// The chat templates the fixture offers (Jinja, as a GGUF carries them).
    enum Template: String, Sendable {
        /// Plain ChatML (no tools, no thinking).
        case chatML
        /// ChatML that opens "<think>\n" after the assistant header unless enable_thinking is false
        /// (then it writes an empty "<think>\n\n</think>\n\n" block), as Qwen 3's thinking templates.
        case thinking
        /// ChatML with Hermes-style tools: a <tools> system block and <tool_call> JSON (Qwen 2.5).
        case tools

        var source: String {
            switch self {
            case .chatML:
                return "{%- for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
                    + "{%- endfor %}{%- if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{%- endif %}"
            case .thinking:
                return "{%- for message in messages %}{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n' }}"
                    + "{%- endfor %}{%- if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}"
                    + "{%- if enable_thinking is defined and enable_thinking is false %}{{ '<think>\\n\\n</think>\\n\\n' }}"
                    + "{%- else %}{{ '<think>\\n' }}{%- endif %}{%- endif %}"
            case .tools:
                return "{%- if tools %}{{ '<|im_start|>system\\n# Tools\\n<tools>' }}{%- for tool in tools %}{{ '\\n' + (tool | tojson) }}{%- endfor %}"
                    + "{{ '\\n</tools>\\nCall a function with <tool_call>{\"name\": …, \"arguments\": …}</tool_call>.<|im_end|>\\n' }}{%- endif %}"
                    + "{%- for message in messages %}"
                    + "{%- if message.role == 'assistant' and message.tool_calls %}{{ '<|im_start|>assistant\\n' }}"
                    + "{%- for tc in message.tool_calls %}{{ '<tool_call>\\n{\"name\": \"' + tc.function.name + '\", \"arguments\": ' + (tc.function.arguments | tojson) + '}\\n</tool_call>' }}{%- endfor %}"
                    + "{{ '<|im_end|>\\n' }}"
                    + "{%- elif message.role == 'tool' %}{{ '<|im_start|>user\\n<tool_response>\\n' + message.content + '\\n</tool_response><|im_end|>\\n' }}"
                    + "{%- else %}{{ '<|im_start|>' + message.role + '\\n' + message.content + '<|im_end|>\\n' }}{%- endif %}"
                    + "{%- endfor %}{%- if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{%- endif %}"
            }
        }
    }

    /// What to build.
    struct Spec: Sendable {
        var dim = 64, layers = 2, heads = 4, kvHeads = 2, ffn = 128, context = 256
        var seed: UInt64 = 42
        /// Type of the 2-D weights (.f32 or .q8_0); norms stay F32.
        var weightType: GGMLType = .f32
        var template: Template = .chatML
        var ending: Ending = .never
        /// A token the model writes whenever it may (see the header).
        var favourite: String? = nil
    }

    /// One tensor in GGUF layout.
    struct Tensor {
        var name: String
        var type: GGMLType
        var shape: [Int]    // ggml order: row length first
        var bytes: [UInt8]
    }

    static let merges = ["Ġ t", "h e", "Ġt he", "i n", "e r", "o n"]
    static let specials = ["<|endoftext|>", "<|im_start|>", "<|im_end|>", "<tool_call>", "</tool_call>"]

    let spec: Spec
    let tokens: [String]
    let tokenTypes: [Int32]
    let tensors: [Tensor]

    init(_ spec: Spec = Spec()) {
        self.spec = spec
        var tokens = Self.byteCharacters.map { String(Character($0)) }
        tokens += Self.merges.map { $0.replacingOccurrences(of: " ", with: "") }
        tokens += Self.specials
        self.tokens = tokens
        tokenTypes = tokens.map { t in
            t.hasPrefix("<|") ? 3 : (t == "<tool_call>" || t == "</tool_call>") ? 4 : 1
        }
        tensors = Self.makeTensors(spec, tokens: tokens, types: tokenTypes)
    }

    var headDim: Int { spec.dim / spec.heads }
    func id(_ token: String) -> Int32 { Int32(tokens.firstIndex(of: token) ?? -1) }
    var eos: Int32 { id("<|im_end|>") }

    /// The hyperparameters the GGUF metadata describes.
    var hyperparameters: LlamaHyperparameters {
        LlamaHyperparameters(layers: spec.layers, dim: spec.dim, heads: spec.heads, kvHeads: spec.kvHeads, headDim: headDim,
                             ffnDim: spec.ffn, vocabulary: tokens.count, contextLength: spec.context, rmsEps: 1e-5,
                             ropeBase: 10_000, ropeScale: 1, ropeDims: headDim, ropeStyle: .normal)
    }

    var metadata: GGUFMetadata {
        var m = GGUFMetadata()
        m["general.architecture"] = .string("llama")
        m["general.name"] = .string("Tiny Random Llama")
        m["general.file_type"] = .uint32(spec.weightType == .q8_0 ? 7 : 0)
        m["llama.block_count"] = .uint32(UInt32(spec.layers))
        m["llama.context_length"] = .uint32(UInt32(spec.context))
        m["llama.embedding_length"] = .uint32(UInt32(spec.dim))
        m["llama.feed_forward_length"] = .uint32(UInt32(spec.ffn))
        m["llama.attention.head_count"] = .uint32(UInt32(spec.heads))
        m["llama.attention.head_count_kv"] = .uint32(UInt32(spec.kvHeads))
        m["llama.attention.layer_norm_rms_epsilon"] = .float32(1e-5)
        m["llama.rope.freq_base"] = .float32(10_000)
        m["llama.rope.dimension_count"] = .uint32(UInt32(headDim))
        m["tokenizer.ggml.model"] = .string("gpt2")
        m["tokenizer.ggml.pre"] = .string("gpt2")
        m["tokenizer.ggml.tokens"] = .array(.string(tokens))
        m["tokenizer.ggml.token_type"] = .array(.int32(tokenTypes))
        m["tokenizer.ggml.merges"] = .array(.string(Self.merges))
        m["tokenizer.ggml.bos_token_id"] = .uint32(UInt32(id("<|endoftext|>")))
        m["tokenizer.ggml.eos_token_id"] = .uint32(UInt32(eos))
        m["tokenizer.ggml.padding_token_id"] = .uint32(UInt32(id("<|endoftext|>")))
        m["tokenizer.ggml.add_bos_token"] = .bool(false)
        m["tokenizer.chat_template"] = .string(spec.template.source)
        return m
    }

    /// Writes the GGUF file to `path`.
    func write(to path: String) throws {
        var writer = GGUFWriter(metadata: metadata)
        for t in tensors { try writer.addTensor(name: t.name, type: t.type, shape: t.shape, bytes: t.bytes) }
        try writer.write(to: path)
    }

    /// The tensors as a WeightSource (its buffers live as long as it does).
    func weights() -> InMemoryWeights { InMemoryWeights(tensors) }

    // MARK: - weights

    /// GPT-2's byte → character table (bytes 33–126, 161–172, 174–255 map to themselves, the others
    /// to U+0100 onwards), so token i is byte i.
    static let byteCharacters: [Unicode.Scalar] = {
        var table: [Unicode.Scalar] = []
        var n: UInt32 = 0
        for b in 0..<256 {
            let printable = (33...126).contains(b) || (161...172).contains(b) || (174...255).contains(b)
            if printable { table.append(Unicode.Scalar(UInt8(b))) } else { table.append(Unicode.Scalar(256 + n) ?? " "); n += 1 }
        }
        return table
    }()

    static func makeTensors(_ s: Spec, tokens: [String], types: [Int32]) -> [Tensor] {
        var rng = SplitMix64(seed: s.seed)
        let V = tokens.count, hd = s.dim / s.heads
        let bias: Float = 40
        var out: [Tensor] = []
        func uniform(_ n: Int, _ scale: Float) -> [Float] { (0..<n).map { _ in rng.uniform() * scale } }
        /// A [rows, cols] matrix (row-major, ggml shape [cols, rows]); `zeroRow0` keeps channel 0 unwritten.
        func matrix(_ name: String, rows: Int, cols: Int, scale: Float, zeroRow0: Bool = false) {
            var w = uniform(rows * cols, scale)
            if zeroRow0 { for c in 0..<cols { w[c] = 0 } }
            out.append(Self.encode(name, w, rows: rows, cols: cols, type: s.weightType))
        }
        func norm(_ name: String) {
            let w = (0..<s.dim).map { _ in 1 + 0.1 * rng.uniform() }
            out.append(Tensor(name: name, type: .f32, shape: [s.dim], bytes: Self.bytes(w)))
        }
        var embd = uniform(V * s.dim, 1)
        for t in 0..<V { embd[t * s.dim] = 1 }                       // the bias channel
        out.append(Self.encode("token_embd.weight", embd, rows: V, cols: s.dim, type: s.weightType))
        for l in 0..<s.layers {
            let p = "blk.\(l)."
            norm(p + "attn_norm.weight")
            let a = 1 / Float(s.dim).squareRoot()
            matrix(p + "attn_q.weight", rows: s.heads * hd, cols: s.dim, scale: a)
            matrix(p + "attn_k.weight", rows: s.kvHeads * hd, cols: s.dim, scale: a)
            matrix(p + "attn_v.weight", rows: s.kvHeads * hd, cols: s.dim, scale: a)
            matrix(p + "attn_output.weight", rows: s.dim, cols: s.heads * hd, scale: 0.5 * a, zeroRow0: true)
            norm(p + "ffn_norm.weight")
            matrix(p + "ffn_gate.weight", rows: s.ffn, cols: s.dim, scale: a)
            matrix(p + "ffn_up.weight", rows: s.ffn, cols: s.dim, scale: a)
            matrix(p + "ffn_down.weight", rows: s.dim, cols: s.ffn, scale: 0.5 / Float(s.ffn).squareRoot(), zeroRow0: true)
        }
        norm("output_norm.weight")
        var head = uniform(V * s.dim, 0.5)
        for t in 0..<V {
            var b: Float = types[t] == 3 ? -bias : 0
            if t == tokens.firstIndex(of: "<|im_end|>"), s.ending == .always { b = bias }
            if let f = s.favourite, tokens[t] == f { b = bias }
            head[t * s.dim] = b
        }
        out.append(Self.encode("output.weight", head, rows: V, cols: s.dim, type: s.weightType))
        return out
    }

    static func encode(_ name: String, _ w: [Float], rows: Int, cols: Int, type: GGMLType) -> Tensor {
        guard type != .f32, let rowBytes = type.byteCount(elements: cols) else {
            return Tensor(name: name, type: .f32, shape: [cols, rows], bytes: bytes(w))
        }
        var data = [UInt8](repeating: 0, count: rowBytes * rows)
        w.withUnsafeBufferPointer { src in
            data.withUnsafeMutableBytes { dst in
                for r in 0..<rows {
                    try? Quantizer.quantizeRow(type, src.baseAddress! + r * cols, count: cols, into: dst.baseAddress! + r * rowBytes)
                }
            }
        }
        return Tensor(name: name, type: type, shape: [cols, rows], bytes: data)
    }

    static func bytes(_ w: [Float]) -> [UInt8] { w.withUnsafeBytes { Array($0) } }
}

/// Tensors held in memory, by GGUF name.
final class InMemoryWeights: WeightSource, @unchecked Sendable {
    private var buffers: [String: (TinyModel.Tensor, UnsafeMutableRawBufferPointer)] = [:]

    init(_ tensors: [TinyModel.Tensor]) {
        for t in tensors {
            let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, t.bytes.count), alignment: 64)
            t.bytes.withUnsafeBytes { buffer.copyMemory(from: $0) }
            buffers[t.name] = (t, buffer)
        }
    }

    deinit { for (_, b) in buffers.values { b.deallocate() } }

    func tensor(_ name: String) -> WeightTensor? {
        guard let entry = buffers[name] else { return nil }
        let (t, b) = entry
        return WeightTensor(type: t.type, shape: t.shape, bytes: UnsafeRawBufferPointer(rebasing: b[0..<t.bytes.count]))
    }
}

/// SplitMix64: a small seeded generator (the same numbers on every platform).
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Uniform in [−1, 1).
    mutating func uniform() -> Float { Float(next() >> 40) / Float(1 << 23) - 1 }
}
