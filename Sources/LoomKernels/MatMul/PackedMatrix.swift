// PackedMatrix: a weight matrix [rows = outputs, cols = inputs] prepared once, at load time, in the
// layout its kernels stream fastest.
//
// Layouts:
//   rowMajor      GGUF's own bytes, row after row (every type; the portable kernels read this).
//   interleaved8  (int8 types: Q4_x, Q5_x, Q8_0, Q4_K, Q5_K, Q6_K on AVX2) for each group of 8 rows
//                 and each block (32 columns; 256 for the K-quants), one record holding the 8 rows'
//                 scales as vectors and their quants interleaved in 4-byte words, so one 32-byte load
//                 feeds 8 output rows (see Repack.swift and Blocks/Q4_K/KQuant.swift for the byte
//                 layouts). Rows past the last full group stay rowMajor after the groups.
//                 The type's format (TypeTable) is resolved here, once, and the kernels called
//                 through it once per row range.
//   panel16       (F32, F16, BF16 on AVX2) rows in panels of 16; panel p holds, for each column c, rows
//                 16p…16p+15's values at c side by side ([cols][16] elements, the type's own
//                 width; BF16 pairs rows j and 8+j in one 32-bit word, Repack.panelLane), so
//                 one load gives 8 rows at one column and the GEMM is an outer product
//                 (GEMM+Panel.swift). The last panel is padded with zero rows.
// The copy is 64-byte aligned and owned by this object.

import LoomTensor

/// A weight matrix prepared for `MatMul`.
public final class PackedMatrix: @unchecked Sendable {
    /// How the bytes are arranged.
    public enum Layout: Sendable { case rowMajor, interleaved8, panel16 }

    /// Element type of the weights.
    public let type: GGMLType
    /// Output rows (ggml ne1).
    public let rows: Int
    /// Inputs per row (ggml ne0).
    public let cols: Int
    /// The arrangement of `data`.
    public let layout: Layout
    /// Bytes of one row in GGUF layout.
    public let rowBytes: Int
    /// Full 8-row groups (interleaved8), else 0.
    let groups: Int
    /// Bytes of one (group, block) record (interleaved8).
    let recordBytes: Int
    /// The int8-activation kernels of `type` (quantized weights), from TypeTable.
    let int8: (any Int8Format.Type)?
    /// The f32-activation kernels of `type` (float weights), from TypeTable.
    let float: (any FloatFormat.Type)?
    /// The run-time kernel path this matrix was prepared for (KernelPath).
    public let path: KernelPath
    /// The C interleaved8 kernels of `type` for `path`, when it has them; else interleaved8 runs
    /// the Swift AVX2 kernels (a -DLOOM_AVX2 build).
    let native: NativeRecordKernels?
    /// Start of the rowMajor tail rows (interleaved8) or of all rows (rowMajor).
    let tail: UnsafeRawPointer
    /// The owned, 64-byte aligned copy.
    let data: UnsafeMutableRawPointer

    /// Types with a matmul kernel (TypeTable.matmul).
    public static var supportedTypes: Set<GGMLType> { TypeTable.matmul }

    /// Copies `bytes` (GGUF layout) and arranges them for the kernels of `path` (by default the
    /// process's KernelPath.active; tests force each supported path).
    public init(type: GGMLType, rows: Int, cols: Int, bytes: UnsafeRawBufferPointer,
                layout requested: Layout? = nil, path: KernelPath = .active) throws(KernelError) {
        let int8 = TypeTable.int8(type), float = TypeTable.float(type)
        guard int8 != nil || float != nil else { throw .unsupportedType(type, operation: "matmul") }
        guard rows > 0, cols > 0, let rowBytes = type.byteCount(elements: cols) else {
            throw .invalidShape(rows: rows, cols: cols, type: type)
        }
        let (total, overflow) = rowBytes.multipliedReportingOverflow(by: rows)
        guard !overflow, bytes.count == total, let src = bytes.baseAddress else {
            throw .sizeMismatch(expected: overflow ? .max : total, actual: bytes.count)
        }
        self.type = type
        self.rows = rows
        self.cols = cols
        self.rowBytes = rowBytes
        self.int8 = int8
        self.float = float
        self.path = path
        let native = path == .baseline ? nil : int8?.native(path)
        self.native = native
        let layout = requested ?? Self.preferredLayout(for: type, path: path)
        switch layout {
        case .interleaved8 where Self.interleaves(type, path: path): self.layout = .interleaved8   // C kernels, or the Swift AVX2 ones
        case .panel16 where PanelGEMM.supports(type, path: path): self.layout = .panel16
        default: self.layout = .rowMajor
        }
        let panelBytes = (rows + 15) / 16 * 16 * rowBytes
        data = UnsafeMutableRawPointer.allocate(byteCount: max(self.layout == .panel16 ? panelBytes : total, 64), alignment: 64)
        if self.layout == .panel16 {
            groups = 0
            recordBytes = 0
            Repack.panels16(src, type: type, rows: rows, cols: cols, into: data)
            tail = UnsafeRawPointer(data)
        } else if self.layout == .interleaved8, let int8 {
            groups = rows / 8
            recordBytes = int8.recordBytes
            let grouped = groups * 8 * rowBytes
            Repack.interleave8(int8, src, rows: groups * 8, rowBytes: rowBytes, into: data)
            (data + grouped).copyMemory(from: src + grouped, byteCount: total - grouped)
            tail = UnsafeRawPointer(data + grouped)
        } else {
            groups = 0
            recordBytes = 0
            data.copyMemory(from: src, byteCount: total)
            tail = UnsafeRawPointer(data)
        }
    }

    deinit { data.deallocate() }

    /// `type` weights as f32-activation panels where this build has the panel kernel (AVX2): F32,
    /// F16 and BF16 kept as they are, other types dequantized to F32 (exact: every quantized value is an
    /// f32). Elsewhere the matrix as `init` prepares it. For encoders, whose hidden states need f32
    /// activations (see LoomRuntime's Embedder) and which run batches of every size.
    public static func panels(type: GGMLType, rows: Int, cols: Int, bytes: UnsafeRawBufferPointer,
                              path: KernelPath = .active) throws(KernelError) -> PackedMatrix {
        guard PanelGEMM.supports(.f32, path: path) else { return try PackedMatrix(type: type, rows: rows, cols: cols, bytes: bytes, path: path) }
        if PanelGEMM.supports(type, path: path) { return try PackedMatrix(type: type, rows: rows, cols: cols, bytes: bytes, layout: .panel16, path: path) }
        guard rows > 0, cols > 0, let rowBytes = type.byteCount(elements: cols) else { throw .invalidShape(rows: rows, cols: cols, type: type) }
        guard bytes.count == rows * rowBytes, let src = bytes.baseAddress else { throw .sizeMismatch(expected: rows * rowBytes, actual: bytes.count) }
        let floats = UnsafeMutablePointer<Float>.allocate(capacity: rows * cols)
        defer { floats.deallocate() }
        for r in 0..<rows { try Dequantize.row(type, src + r * rowBytes, count: cols, into: floats + r * cols) }
        return try PackedMatrix(type: .f32, rows: rows, cols: cols,
                                bytes: UnsafeRawBufferPointer(start: floats, count: 4 * rows * cols), layout: .panel16, path: path)
    }

    /// The layout the kernels of `path` want for `type`.
    public static func preferredLayout(for type: GGMLType, path: KernelPath = .active) -> Layout {
        if PanelGEMM.supports(type, path: path) { return .panel16 }
        return interleaves(type, path: path) ? .interleaved8 : .rowMajor
    }

    /// Whether interleaved8 kernels exist for `type` on `path`: C ones (NativeKernels.swift), or the
    /// Swift AVX2 ones of a -DLOOM_AVX2 build on any non-baseline path.
    static func interleaves(_ type: GGMLType, path: KernelPath) -> Bool {
        guard path != .baseline, TypeTable.interleaves(type) else { return false }
        return SIMDPath.compiled == .avx2 || TypeTable.int8(type)?.native(path) != nil
    }

    /// GGUF bytes of row `r` when it is stored row-major (all rows of rowMajor; tail rows of
    /// interleaved8; never for panel16).
    @inline(__always)
    func rowMajorRow(_ r: Int) -> UnsafeRawPointer {
        tail + (r - groups * 8) * rowBytes
    }

    /// Bytes of weights read by one full pass (GEMV), for bandwidth figures.
    public var byteCount: Int { rows * rowBytes }
}
