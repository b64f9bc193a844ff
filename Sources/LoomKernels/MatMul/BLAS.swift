// The OpenBLAS path: out[t, r] = Σ_c W[r, c]·x[t, c] by cblas_sgemm on f32 tiles of W.
//
// Each calling thread takes its own row range; quantized and half-precision rows are dequantized
// 64 at a time into that thread's f32 tile (scratch), F32 rows are used in place. OpenBLAS runs
// single-threaded inside each of our threads (openblas_set_num_threads(1) once), so two thread pools
// never fight over the 2 cores. Called like ggml-blas: RowMajor, x · Wᵀ.

import COpenBLAS
import LoomTensor

enum BLAS {
    static let tileRows = 64

    /// Makes OpenBLAS single-threaded (idempotent; called before the first sgemm).
    static let configured: Bool = {
        openblas_set_num_threads(1)
        return true
    }()

    /// out[t, r] for t in 0..<tokens, r in rows; `tile` holds tileRows × cols floats.
    static func run(_ w: PackedMatrix, _ x: UnsafePointer<Float>, tokens: Int, _ out: UnsafeMutablePointer<Float>,
                    rows: Range<Int>, tile: UnsafeMutablePointer<Float>) {
        _ = configured
        let k = w.cols, n = w.rows
        var r = rows.lowerBound
        while r < rows.upperBound {
            let count = min(tileRows, rows.upperBound - r)
            let weights: UnsafePointer<Float>
            if w.type == .f32 && w.layout == .rowMajor {
                weights = w.tail.assumingMemoryBound(to: Float.self) + r * k
            } else {
                for i in 0..<count { w.dequantizeRow(r + i, into: tile + i * k) }
                weights = UnsafePointer(tile)
            }
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, Int32(tokens), Int32(count), Int32(k),
                        1, x, Int32(k), weights, Int32(k), 0, out + r, Int32(n))
            r += count
        }
    }
}

extension PackedMatrix {
    /// Row `r` as f32, whatever the layout (embedding lookup).
    public func dequantizeRow(_ r: Int, into out: UnsafeMutablePointer<Float>) {
        if layout == .interleaved8 && r < groups * 8 {
            Repack.dequantizeInterleaved(self, row: r, into: out)
        } else if layout == .panel16 {
            // Column c of row r sits at element 16c + r % 16 of its panel.
            let panel = UnsafeRawPointer(data) + (r / 16) * 16 * rowBytes, lane = r % 16
            if type == .f16 {
                let h = panel.assumingMemoryBound(to: UInt16.self)
                for c in 0..<cols { out[c] = Half.f32(fromF16: h[16 * c + lane]) }
            } else if type == .bf16 {
                let h = panel.assumingMemoryBound(to: UInt16.self)
                let paired = Repack.panelLane(.bf16, lane)
                for c in 0..<cols { out[c] = Half.f32(fromBF16: h[16 * c + paired]) }
            } else {
                let f = panel.assumingMemoryBound(to: Float.self)
                for c in 0..<cols { out[c] = f[16 * c + lane] }
            }
        } else {
            try? Dequantize.row(type, rowMajorRow(r), count: cols, into: out)
        }
    }
}

extension Repack {
    /// Row `r` of an interleaved8 matrix as f32 (gathers its block back from the records).
    static func dequantizeInterleaved(_ w: PackedMatrix, row r: Int, into out: UnsafeMutablePointer<Float>) {
        guard let format = w.int8 else { return }
        let g = r / 8, lane = r % 8
        let n = format.blockSize, blocks = w.cols / n
        // One block on the stack (no heap allocation inside a kernel call).
        withUnsafeTemporaryAllocation(byteCount: max(64, format.bytesPerBlock), alignment: 16) { blk in
            guard let start = blk.baseAddress else { return }
            for b in 0..<blocks {
                format.unpackRecord(UnsafeRawPointer(w.data) + (g * blocks + b) * w.recordBytes, lane: lane, into: start)
                format.dequantize(UnsafeRawPointer(start), count: n, into: out + n * b)
            }
        }
    }
}
