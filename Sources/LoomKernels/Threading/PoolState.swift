// PoolState — the memory a ThreadPool shares with its worker threads.
//
// Contract
//   One 128-byte-aligned allocation, one 128-byte slot per field that a different set of threads
//   writes, so a write by one side never evicts the line the other side spins on (128, not 64:
//   the adjacent-line prefetcher pulls pairs of lines):
//
//     slot 0  generation: Atomic<Int>  @0   caller bumps once per run (and once to stop)
//             job: JobBits   @8   the run's body as raw bits; written by the caller before the bump
//     slot 1  done           workers add 1 after their body; caller resets to 0 after the join
//     slot 2  barrierCount   arrivals at the current barrier (the last arriver resets it)
//     slot 3  barrierPassed  barrier generation; waiters spin on it
//     slot 4  sleepers       workers parked on `cond` (wake protocol: see ThreadPool.swift)
//     slot 5  busy           1 while a run is in progress (re-entrancy / concurrent-call guard)
//     slot 6  stop           1 once deinit asks the workers to exit
//
//   PoolState is a value of raw pointers: the pool and every worker copy it into locals, so hot
//   loops touch no class properties and no reference counts. ThreadPool.deinit joins the workers
//   first, then calls `deallocate()`.

import Glibc
import Synchronization

/// The raw shared state of one thread pool (see the layout above).
struct PoolState: @unchecked Sendable {
    /// The body of a run: `(threadIndex, threadCount)`.
    typealias Job = (_ thread: Int, _ threadCount: Int) -> Void

    /// A job wrapped in a struct so it is stored at its natural abstraction (an `Optional<Job>` or a
    /// generic `unsafeBitCast` of a bare function would add a heap-allocated reabstraction thunk).
    struct JobBox {
        let body: Job
    }

    /// The bits of a `JobBox` (function pointer, context), stored without ownership: the caller keeps
    /// the closure alive for the whole run, and the slot never retains or releases. Zero = no job.
    struct JobBits {
        var function: UInt = 0
        var context: UInt = 0
    }

    /// Bytes per slot: two cache lines.
    static let slotBytes = 128
    /// Number of slots in the allocation.
    static let slotCount = 7

    let base: UnsafeMutableRawPointer
    let generation: UnsafeMutablePointer<Atomic<Int>>
    let job: UnsafeMutablePointer<JobBits>
    let done: UnsafeMutablePointer<Atomic<Int>>
    let barrierCount: UnsafeMutablePointer<Atomic<Int>>
    let barrierPassed: UnsafeMutablePointer<Atomic<Int>>
    let sleepers: UnsafeMutablePointer<Atomic<Int>>
    let busy: UnsafeMutablePointer<Atomic<Int>>
    let stop: UnsafeMutablePointer<Atomic<Int>>
    let mutex: UnsafeMutablePointer<pthread_mutex_t>
    let cond: UnsafeMutablePointer<pthread_cond_t>
    /// Threads per run, caller included.
    let threadCount: Int
    /// How long an idle worker spins before it sleeps on `cond`.
    let spinNanoseconds: Int

    init(threadCount: Int, spinNanoseconds: Int) {
        self.threadCount = threadCount
        self.spinNanoseconds = spinNanoseconds
        let bytes = Self.slotBytes * Self.slotCount
        let raw = UnsafeMutableRawPointer.allocate(byteCount: bytes, alignment: Self.slotBytes)
        raw.initializeMemory(as: UInt8.self, repeating: 0, count: bytes)
        base = raw
        func atomic(_ slot: Int) -> UnsafeMutablePointer<Atomic<Int>> {
            let p = (raw + slot * Self.slotBytes).bindMemory(to: Atomic<Int>.self, capacity: 1)
            p.initialize(to: Atomic(0))
            return p
        }
        generation = atomic(0)
        precondition(MemoryLayout<JobBox>.size == MemoryLayout<JobBits>.size, "PoolState: unexpected closure layout")
        job = (raw + MemoryLayout<Int>.stride).bindMemory(to: JobBits.self, capacity: 1)
        job.initialize(to: JobBits())
        done = atomic(1)
        barrierCount = atomic(2)
        barrierPassed = atomic(3)
        sleepers = atomic(4)
        busy = atomic(5)
        stop = atomic(6)
        mutex = .allocate(capacity: 1)
        mutex.initialize(to: pthread_mutex_t())
        pthread_mutex_init(mutex, nil)
        cond = .allocate(capacity: 1)
        cond.initialize(to: pthread_cond_t())
        pthread_cond_init(cond, nil)
    }

    /// Frees everything; call only after every worker has been joined.
    func deallocate() {
        job.deinitialize(count: 1)
        for p in [generation, done, barrierCount, barrierPassed, sleepers, busy, stop] {
            p.deinitialize(count: 1)
        }
        pthread_mutex_destroy(mutex)
        pthread_cond_destroy(cond)
        mutex.deallocate()
        cond.deallocate()
        base.deallocate()
    }

    /// Wakes every worker parked on `cond`.
    func wakeSleepers() {
        pthread_mutex_lock(mutex)
        pthread_cond_broadcast(cond)
        pthread_mutex_unlock(mutex)
    }
}

/// Spin loops call `sched_yield` once every this many iterations (2^12, about 1–3 µs of spinning),
/// so that more threads than cores still make progress. Swift cannot emit `pause` (`_mm_pause`
/// does not link), so the spin itself is a bare atomic load.
let spinsPerYield = 4096

/// CLOCK_MONOTONIC in nanoseconds.
@inline(__always)
func monotonicNanoseconds() -> Int {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return ts.tv_sec * 1_000_000_000 + ts.tv_nsec
}
