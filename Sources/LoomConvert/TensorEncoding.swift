// TensorEncoding: element conversion between safetensors dtypes and GGUF float types, and the
// row permutation llama.cpp applies to llama's q/k projections.
//
// Conversions (all little-endian, ggml-exact; see LoomTensor/Half.swift):
//   same type          bytes copied unchanged (F16 → F16 is bit-exact)
//   F16/BF16 → F32     exact
//   F32 → F16          round to nearest, ties to even (overflow → ±inf)
//   F32 → BF16         ggml's rounding (nearest, ties to even; quiet NaN)
//   BF16 ↔ F16         through f32, as llama.cpp (torch .to(float32) then numpy .astype(float16))
//
// permuteRows — llama.cpp's LlamaModel.permute(w, n_head, n_head_kv): HF stores each head's rotary
// dimensions as two halves [x0 … x(d/2−1) | y0 … y(d/2−1)], GGUF llama interleaves them
// [x0 y0 x1 y1 …]. With d = rows / n_head rows per head:
//     out row h·d + 2i + a  =  in row h·d + a·(d/2) + i        (a ∈ {0, 1}, i < d/2)
// i.e. w.reshape(n_head, 2, d/2, …).swapaxes(1, 2).reshape(w.shape). Rows move whole, so it works
// on any element type and on 1-D biases (one element per row).

import LoomTensor

enum TensorEncoding {
    /// The elements of `bytes` (of `dtype`: F32, F16 or BF16) as f32.
    static func decode(_ bytes: UnsafeRawBufferPointer, dtype: SafetensorsDType) -> [Float] {
        let n = bytes.count / dtype.byteSize
        return [Float](unsafeUninitializedCapacity: n) { out, count in
            switch dtype {
            case .f32:
                for i in 0..<n { out[i] = Float(bitPattern: UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: 4 * i, as: UInt32.self))) }
            case .f16:
                for i in 0..<n { out[i] = Half.f32(fromF16: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
            case .bf16:
                for i in 0..<n { out[i] = Half.f32(fromBF16: UInt16(littleEndian: bytes.loadUnaligned(fromByteOffset: 2 * i, as: UInt16.self))) }
            default:
                preconditionFailure("decode of \(dtype) (callers check isConvertible)")
            }
            count = n
        }
    }

    /// `bytes` (elements of `dtype`) re-encoded as `type` (F32, F16 or BF16).
    static func encode(_ bytes: UnsafeRawBufferPointer, from dtype: SafetensorsDType, to type: GGMLType) -> [UInt8] {
        if (dtype == .f32 && type == .f32) || (dtype == .f16 && type == .f16) || (dtype == .bf16 && type == .bf16) {
            return [UInt8](bytes)
        }
        return encode(floats: decode(bytes, dtype: dtype), to: type)
    }

    /// `values` encoded as `type` (F32, F16 or BF16).
    static func encode(floats values: [Float], to type: GGMLType) -> [UInt8] {
        let size = type == .f32 ? 4 : 2
        var out = [UInt8](repeating: 0, count: values.count * size)
        out.withUnsafeMutableBytes { o in
            switch type {
            case .f32:
                for (i, v) in values.enumerated() { o.storeBytes(of: v.bitPattern.littleEndian, toByteOffset: 4 * i, as: UInt32.self) }
            case .f16:
                for (i, v) in values.enumerated() { o.storeBytes(of: Half.f16(from: v).littleEndian, toByteOffset: 2 * i, as: UInt16.self) }
            case .bf16:
                for (i, v) in values.enumerated() { o.storeBytes(of: Half.bf16(from: v).littleEndian, toByteOffset: 2 * i, as: UInt16.self) }
            default:
                preconditionFailure("encode to \(type) (the converter writes F32, F16, BF16)")
            }
        }
        return out
    }

    /// `bytes` holding `rows` equal rows, reordered as llama.cpp's permute with `heads` heads.
    /// Requires rows to be a multiple of 2 × heads (the planner checks shapes first).
    static func permuteRows(_ bytes: UnsafeRawBufferPointer, rows: Int, heads: Int) -> [UInt8] {
        precondition(heads > 0 && rows % (2 * heads) == 0 && bytes.count % max(rows, 1) == 0, "permute shape")
        let rowBytes = bytes.count / rows
        let perHead = rows / heads, half = perHead / 2
        var out = [UInt8](repeating: 0, count: bytes.count)
        out.withUnsafeMutableBytes { o in
            guard let dst = o.baseAddress, let src = bytes.baseAddress else { return }
            for h in 0..<heads {
                for i in 0..<half {
                    for a in 0..<2 {
                        let to = h * perHead + 2 * i + a, from = h * perHead + a * half + i
                        (dst + to * rowBytes).copyMemory(from: src + from * rowBytes, byteCount: rowBytes)
                    }
                }
            }
        }
        return out
    }
}
