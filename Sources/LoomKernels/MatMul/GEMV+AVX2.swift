// AVX2 GEMV over interleaved8 records (Repack.swift): 8 output rows per pass, one record per
// 32-element block, the per-block arithmetic from the type's Record8Kernel (its `+AVX2.swift`).
//
//   out: [rows] f32; groups: 8-row groups g, out[8g…8g+7] written with one store

#if LOOM_AVX2
import _Builtin_intrinsics.intel

enum GEMVAVX2 {
    /// out[8g…8g+7] for g in `groups`, specialized for `K`.
    @inline(__always)
    static func run<K: Record8Kernel>(_: K.Type, _ w: PackedMatrix, _ a: Q8Row, _ out: UnsafeMutablePointer<Float>, groups: Range<Int>) {
        let blocks = w.cols / 32, record = w.recordBytes
        let base = UnsafeRawPointer(w.data)
        let aw = UnsafeRawPointer(a.q).assumingMemoryBound(to: Int32.self)
        for g in groups {
            var acc = _mm256_setzero_ps()
            var p = base + g * blocks * record
            for b in 0..<blocks {
                let q = K.unpack(p)
                acc = K.accumulate(acc, q, K.dot(q, p, aw + 8 * b), a, block: b)
                p += record
            }
            UnsafeMutableRawPointer(out + 8 * g).storeBytes(of: acc, as: __m256.self)
        }
    }
}
#endif
