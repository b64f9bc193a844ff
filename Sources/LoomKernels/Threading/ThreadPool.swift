// ThreadPool — the persistent fork/join pool every parallel kernel runs on (ggml-cpu style).
//
// Contract
//   threads = n ≥ 1: n − 1 worker pthreads, created once, plus the calling thread, which is thread 0
//   of every run and is never pinned. Worker i is pinned to the i-th CPU the process may run on
//   (best effort; skipped when there are fewer CPUs than workers).
//
//   run(body)   caller: job = body; generation += 1; [wake sleepers]; body(0, n);
//                       spin until done == n − 1; done = 0; job = nil
//               worker i: spin until generation changes; body(i, n); done += 1
//               The non-escaping body is published for the duration of the run as raw bits
//               (withoutActuallyEscaping → JobBits; no retain in the slot). Swift 6.3 lowers
//               withoutActuallyEscaping to one 32-byte heap box (checked by
//               swift_isEscapingClosureAtFileLocation at the end) even when nothing escapes; that
//               malloc/free on the caller's core is the only allocation per run and is included in
//               the measured fork/join cost. Workers retain/release that box around the call.
//               One run at a time: calling run from inside a body, or from two threads at once,
//               traps (the `busy` flag).
//   barrier()   ggml's barrier: arrivals counted in `barrierCount`; the last arriver resets it and
//               bumps `barrierPassed`, on which the others spin. All n threads must call it the same
//               number of times within a run. Writes before it are visible to all threads after it.
//   idle        a worker spins on `generation` for spinMicroseconds, then parks on a condvar.
//               No lost wake-up (Dekker, all four accesses sequentially consistent):
//                 worker: lock; sleepers += 1; while generation == seen { wait }; sleepers -= 1; unlock
//                 caller: generation += 1; if sleepers != 0 { lock; broadcast; unlock }
//               Either the caller sees the sleeper and broadcasts under the mutex the worker holds
//               until it waits, or the worker sees the new generation and never waits.
//   deinit      stop = 1; generation += 1; broadcast; join every worker; free the shared state.
//
//   Measured (2 threads, Zen 3 KVM guest, release): fork/join ≈ 260–320 ns, barrier ≈ 115–125 ns
//   (ThreadPool+Measure.swift); first run after workers parked ≈ 35–40 µs (futex + vCPU wake-up).

import Glibc
import Synchronization

/// A fixed set of persistent threads that run one body on every thread at once (fork/join),
/// with a spin barrier for steps inside a body.
///
/// Create one per engine (or use ``shared``) and call ``run(_:)`` per parallel step; workers spin
/// between runs for `spinMicroseconds`, then sleep, so an idle process does not burn cores.
public final class ThreadPool: @unchecked Sendable {
    /// Threads per run, the calling thread included (≥ 1).
    public let threadCount: Int

    /// The state shared with the workers (raw pointers; copied into locals in hot paths).
    let state: PoolState
    /// The worker threads, index i − 1 for thread i.
    private let workers: [pthread_t]

    /// Creates a pool.
    ///
    /// `threads` ≥ 1: `threads - 1` persistent worker threads plus the calling thread (index 0).
    /// `spinMicroseconds` ≥ 0: how long an idle worker polls for the next run before it sleeps.
    public init(threads: Int, spinMicroseconds: Int = 100) {
        precondition(threads >= 1, "ThreadPool needs at least 1 thread, got \(threads)")
        precondition(spinMicroseconds >= 0, "spinMicroseconds must be ≥ 0, got \(spinMicroseconds)")
        threadCount = threads
        state = PoolState(threadCount: threads, spinNanoseconds: spinMicroseconds * 1000)
        let cpus = threads > 1 ? CPUAffinity.allowedCPUs() : []
        var started: [pthread_t] = []
        started.reserveCapacity(threads - 1)
        for index in 1..<threads {
            let cpu = index < cpus.count ? cpus[index] : nil
            started.append(Self.startWorker(index: index, cpu: cpu, state: state))
        }
        workers = started
    }

    deinit {
        let s = state
        s.stop.pointee.store(1, ordering: .sequentiallyConsistent)
        s.generation.pointee.wrappingAdd(1, ordering: .sequentiallyConsistent)
        s.wakeSleepers()
        for thread in workers { pthread_join(thread, nil) }
        s.deallocate()
    }

    /// Runs `body(threadIndex, threadCount)` once on every thread (the caller is thread 0) and
    /// returns when all have finished.
    ///
    /// Allocates nothing itself; the Swift runtime's `withoutActuallyEscaping` box (32 bytes, freed
    /// before returning) is the only allocation. Must not be called from inside a body
    /// (re-entrancy) nor from two threads at once; both trap. Use
    /// ``split(_:part:of:granularity:)`` to divide work.
    public func run(_ body: (_ thread: Int, _ threadCount: Int) -> Void) {
        let s = state
        exclusively(s) {
            if s.threadCount == 1 { return body(0, 1) }
            withoutActuallyEscaping(body) { job in publishAndJoin(job, state: s) }
        }
    }

    /// Like ``run(_:)`` for a body the caller keeps alive elsewhere (e.g. a closure stored once in
    /// a long-lived job object): no allocation at all, so kernels dispatched this way allocate
    /// nothing per call. The caller must hold a reference to `body` for the duration of the call.
    public func run(prepared body: @escaping (_ thread: Int, _ threadCount: Int) -> Void) {
        let s = state
        exclusively(s) {
            if s.threadCount == 1 { return body(0, 1) }
            // `body` is a guaranteed parameter: the caller keeps it alive for this call. (Passing it
            // through a generic such as withExtendedLifetime would allocate a reabstraction thunk.)
            publishAndJoin(body, state: s)
        }
    }

    /// Claims the pool for one run (trapping on re-entrancy or use from two threads at once), does
    /// `work`, and releases it. `work` is non-escaping, so this allocates nothing.
    @inline(__always)
    private func exclusively(_ s: PoolState, _ work: () -> Void) {
        let wasBusy = s.busy.pointee.exchange(1, ordering: .acquiring)
        precondition(wasBusy == 0, "ThreadPool.run called from inside a run body or from two threads at once")
        defer { s.busy.pointee.store(0, ordering: .releasing) }
        work()
    }

    /// Publishes `job` to the workers, runs it as thread 0 and waits for the others.
    @inline(__always)
    private func publishAndJoin(_ job: @escaping PoolState.Job, state s: PoolState) {
        let n = s.threadCount
        s.job.pointee = unsafeBitCast(PoolState.JobBox(body: job), to: PoolState.JobBits.self)
        s.generation.pointee.wrappingAdd(1, ordering: .sequentiallyConsistent)
        if s.sleepers.pointee.load(ordering: .sequentiallyConsistent) != 0 { s.wakeSleepers() }
        job(0, n)
        let workers = n - 1
        var spins = 0
        while s.done.pointee.load(ordering: .acquiring) != workers {
            spins &+= 1
            if spins & (spinsPerYield - 1) == 0 { sched_yield() }
        }
        s.done.pointee.store(0, ordering: .relaxed)
        s.job.pointee = PoolState.JobBits()
    }

    /// A spin barrier all threads of the current ``run(_:)`` must reach; usable only inside a
    /// `run` body. Everything written before the barrier by any thread is visible to every thread
    /// after it.
    public func barrier() {
        let s = state
        let n = s.threadCount
        assert(s.busy.pointee.load(ordering: .relaxed) != 0, "ThreadPool.barrier called outside run")
        if n == 1 { return }
        let passed = s.barrierPassed.pointee.load(ordering: .relaxed)
        if s.barrierCount.pointee.wrappingAdd(1, ordering: .acquiringAndReleasing).newValue == n {
            s.barrierCount.pointee.store(0, ordering: .relaxed)
            s.barrierPassed.pointee.wrappingAdd(1, ordering: .acquiringAndReleasing)
            return
        }
        var spins = 0
        while s.barrierPassed.pointee.load(ordering: .acquiring) == passed {
            spins &+= 1
            if spins & (spinsPerYield - 1) == 0 { sched_yield() }
        }
    }

    /// A process-wide default pool with as many threads as online CPUs (sysconf), created lazily.
    public static let shared = ThreadPool(threads: max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))))
}
