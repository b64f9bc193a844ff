// KVCacheType: the element type of a KV cache — fp16 (llama.cpp's and Ollama's default), f32, or
// ggml's q8_0 / q4_0 blocks (llama.cpp's `-ctk/-ctv`, Ollama's OLLAMA_KV_CACHE_TYPE):
//
//   f16    2 bytes per value            q8_0   34 bytes per 32 values: fp16 d, 32 int8; x = q·d
//   f32    4 bytes per value            q4_0   18 bytes per 32 values: fp16 d, 16 bytes of nibbles;
//                                              x = (q − 8)·d
// A head row of a block type is whole blocks (headDim % 32 == 0, `supports(headDim:)`).

import LoomTensor

/// The element type of a KV cache.
public enum KVCacheType: String, Sendable, CaseIterable {
    case f16, f32, q8_0, q4_0

    /// The GGUF/ggml type of the stored rows.
    public var ggmlType: GGMLType {
        switch self {
        case .f16: return .f16
        case .f32: return .f32
        case .q8_0: return .q8_0
        case .q4_0: return .q4_0
        }
    }

    /// Values per block (1 for f16/f32; a head's width must be a multiple of it).
    public var blockSize: Int { ggmlType.blockSize }

    /// Bytes of a row of `values` values (a multiple of `blockSize`).
    public func rowBytes(_ values: Int) -> Int { values / ggmlType.blockSize * ggmlType.bytesPerBlock }

    /// Whether heads of `headDim` values can be stored (whole blocks).
    public func supports(headDim: Int) -> Bool { headDim > 0 && headDim % blockSize == 0 }

    /// llama.cpp's Walsh–Hadamard rotation blocks (attn_rot_k / attn_rot_v) for heads of `headDim`:
    /// for a quantized type and headDim % 64 == 0, keys the largest power of 2 dividing headDim and
    /// values 64; otherwise none (0, 0).
    public func rotation(headDim: Int) -> (keys: Int, values: Int) {
        guard ggmlType.isQuantized, headDim % 64 == 0 else { return (0, 0) }
        var n = 64
        while headDim % (2 * n) == 0 { n *= 2 }
        return (n, 64)
    }
}
