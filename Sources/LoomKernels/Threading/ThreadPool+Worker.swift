// ThreadPool workers — thread creation, CPU pinning and the worker loop.
//
// Contract
//   Each worker is a pthread started once by init, joined by deinit. Its loop:
//     seen = 0 (the generation at creation: the pool has never run)
//     loop: g = wait until generation != seen (spin spinNanoseconds, yielding every spinsPerYield
//           spins, then park on the condvar); if stop { exit }; seen = g; job(i, n); done += 1
//   A worker cannot miss a generation: the caller does not bump it again before done == n − 1.
//   Pinning uses pthread_setaffinity_np, looked up with dlsym because Glibc's Swift module is not
//   compiled with _GNU_SOURCE; any failure leaves the thread unpinned.

import Glibc
import Synchronization

/// What a new worker thread needs; passed through pthread_create's context pointer.
private final class WorkerContext {
    let index: Int
    let cpu: Int?
    let state: PoolState
    init(index: Int, cpu: Int?, state: PoolState) {
        self.index = index
        self.cpu = cpu
        self.state = state
    }
}

extension ThreadPool {
    /// Starts worker `index` (≥ 1), pinned to `cpu` when given. Traps if the thread cannot be created.
    static func startWorker(index: Int, cpu: Int?, state: PoolState) -> pthread_t {
        let context = Unmanaged.passRetained(WorkerContext(index: index, cpu: cpu, state: state)).toOpaque()
        var thread = pthread_t()
        let status = pthread_create(&thread, nil, { raw in
            guard let raw else { return nil }
            let context = Unmanaged<WorkerContext>.fromOpaque(raw).takeRetainedValue()
            if let cpu = context.cpu { _ = CPUAffinity.pinCurrentThread(to: cpu) }
            ThreadPool.workerLoop(index: context.index, state: context.state)
            return nil
        }, context)
        precondition(status == 0, "ThreadPool: pthread_create failed with error \(status)")
        return thread
    }

    /// The body of worker `index`: runs jobs until `stop`.
    static func workerLoop(index: Int, state s: PoolState) {
        let n = s.threadCount
        var seen = 0
        while true {
            let generation = waitForWork(after: seen, state: s)
            if s.stop.pointee.load(ordering: .acquiring) != 0 { return }
            seen = generation
            invokeJob(s.job, index, n)
            s.done.pointee.wrappingAdd(1, ordering: .releasing)
        }
    }

    /// Calls the published job. Not inlined so the job's retain/release pair ends before `done` is
    /// bumped (the caller's withoutActuallyEscaping checks the closure did not escape).
    @inline(never)
    static func invokeJob(_ job: UnsafeMutablePointer<PoolState.JobBits>, _ index: Int, _ count: Int) {
        let bits = job.pointee
        precondition(bits.function != 0, "ThreadPool: worker woke without a job")
        unsafeBitCast(bits, to: PoolState.JobBox.self).body(index, count)
    }

    /// Spins until `generation` differs from `seen`, then parks on the condvar after `spinNanoseconds`.
    @inline(__always)
    static func waitForWork(after seen: Int, state s: PoolState) -> Int {
        var generation = s.generation.pointee.load(ordering: .acquiring)
        if generation != seen { return generation }
        let deadline = monotonicNanoseconds() + s.spinNanoseconds
        var spins = 0
        while true {
            generation = s.generation.pointee.load(ordering: .acquiring)
            if generation != seen { return generation }
            spins &+= 1
            if spins & (spinsPerYield - 1) == 0 {
                if monotonicNanoseconds() >= deadline { return sleepForWork(after: seen, state: s) }
                sched_yield()
            }
        }
    }

    /// Parks on the condvar until `generation` differs from `seen` (wake protocol: ThreadPool.swift).
    static func sleepForWork(after seen: Int, state s: PoolState) -> Int {
        pthread_mutex_lock(s.mutex)
        s.sleepers.pointee.wrappingAdd(1, ordering: .sequentiallyConsistent)
        var generation = s.generation.pointee.load(ordering: .sequentiallyConsistent)
        while generation == seen {
            pthread_cond_wait(s.cond, s.mutex)
            generation = s.generation.pointee.load(ordering: .sequentiallyConsistent)
        }
        s.sleepers.pointee.wrappingSubtract(1, ordering: .sequentiallyConsistent)
        pthread_mutex_unlock(s.mutex)
        return generation
    }
}

/// CPU affinity through glibc's GNU extensions, looked up at run time.
enum CPUAffinity {
    private typealias GetAffinity = @convention(c) (pid_t, Int, UnsafeMutableRawPointer) -> Int32
    private typealias SetAffinity = @convention(c) (pthread_t, Int, UnsafeRawPointer) -> Int32

    private static func symbol(_ name: String) -> UnsafeMutableRawPointer? {
        guard let handle = dlopen(nil, RTLD_NOW) else { return nil }
        defer { dlclose(handle) }
        return dlsym(handle, name)
    }

    /// The CPUs this process may run on, ascending; `0..<online CPUs` if that cannot be read.
    static func allowedCPUs() -> [Int] {
        let fallback = Array(0..<max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        guard let raw = symbol("sched_getaffinity") else { return fallback }
        let getAffinity = unsafeBitCast(raw, to: GetAffinity.self)
        var set = cpu_set_t()
        let status = withUnsafeMutableBytes(of: &set) { getAffinity(0, $0.count, $0.baseAddress!) }
        guard status == 0 else { return fallback }
        var cpus: [Int] = []
        withUnsafeBytes(of: &set) { bytes in
            for (byteIndex, byte) in bytes.enumerated() where byte != 0 {
                for bit in 0..<8 where byte & (1 << bit) != 0 { cpus.append(byteIndex * 8 + bit) }
            }
        }
        return cpus.isEmpty ? fallback : cpus
    }

    /// Pins the calling thread to `cpu`; returns false (and changes nothing) on failure.
    @discardableResult
    static func pinCurrentThread(to cpu: Int) -> Bool {
        guard cpu >= 0, cpu < MemoryLayout<cpu_set_t>.size * 8, let raw = symbol("pthread_setaffinity_np") else {
            return false
        }
        let setAffinity = unsafeBitCast(raw, to: SetAffinity.self)
        var set = cpu_set_t()
        withUnsafeMutableBytes(of: &set) { $0[cpu / 8] |= UInt8(1 << (cpu % 8)) }
        return withUnsafeBytes(of: &set) { setAffinity(pthread_self(), $0.count, $0.baseAddress!) } == 0
    }
}
