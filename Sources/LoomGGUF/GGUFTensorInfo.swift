// GGUFTensorInfo: one validated tensor entry — name, type, shape and where its bytes are.
//
// `shape` is in ggml order: shape[0] (ne0) is the row length, the contiguous innermost dimension;
// a weight matrix [ne0 = nIn, ne1 = nOut] has nOut rows of nIn elements. numpy (and the `gguf`
// Python package's `tensor.shape`) lists the same dimensions reversed.

import LoomTensor

/// A validated tensor entry of a GGUF file.
public struct GGUFTensorInfo: Sendable, Hashable {
    /// The tensor's name, e.g. "blk.0.attn_q.weight".
    public let name: String
    /// Its element type.
    public let type: GGMLType
    /// Dimensions in ggml order (row length first).
    public let shape: [Int]
    /// Byte offset of its data from the start of the data section (a multiple of the alignment).
    public let offset: Int
    /// Bytes of data (without padding).
    public let byteCount: Int
    /// Number of elements.
    public let elementCount: Int

    /// Elements per row (shape[0]; 1 for a zero-dimensional tensor).
    public var rowLength: Int { shape.first ?? 1 }
    /// Number of rows (elements / row length).
    public var rowCount: Int { rowLength == 0 ? 0 : elementCount / rowLength }
}
