// MallocTrim: gives the memory glibc's malloc holds free back to the system, a moment after a
// model is unloaded.
//
// Freed blocks below the mmap threshold stay in malloc's arenas (one per thread that allocated),
// counted in the process's resident memory until reused. A long-running server that loads and
// unloads models (created models, num_ctx changes, keep_alive 0) ratcheted up that way: in the
// 30-minute soak RSS rose 1.49 → 1.79 GiB over reloads while /api/ps stayed near 1.0 GiB, and one
// `malloc_trim(0)` (from gdb) brought it back to 1.45 GiB. The trim runs 2 s after a drop, when the
// last request on the model has let go of it; it is a no-op off glibc.

import Foundation
#if canImport(Glibc)
import Glibc
#endif

enum MallocTrim {
    private typealias Trim = @convention(c) (Int) -> Int32

    /// glibc's `malloc_trim` (looked up at run time: <malloc.h> is not in the Glibc module).
    private static let trim: Trim? = {
        #if canImport(Glibc)
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "malloc_trim") else { return nil }
        return unsafeBitCast(symbol, to: Trim.self)
        #else
        return nil
        #endif
    }()

    /// Trims after `delay` seconds, off the caller's thread.
    static func soon(after delay: Double = 2) {
        guard let trim else { return }
        Task.detached(priority: .background) {
            try? await Task.sleep(nanoseconds: UInt64(delay * 1e9))
            _ = trim(0)
        }
    }
}
