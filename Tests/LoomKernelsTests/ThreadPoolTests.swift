// ThreadPool tests: every thread runs once per run, split coverage, barrier visibility, stress,
// the spin → sleep → wake path, and that destroying pools joins their threads.
// No timing assertions (timings come from ThreadPool.measureForkJoin in benchmarks).

import Foundation
import Glibc
import Synchronization
import Testing
@testable import LoomKernels

/// Per-thread counters on separate cache lines, written from inside run bodies.
private final class Counters: @unchecked Sendable {
    let stride = 16
    let values: UnsafeMutablePointer<Int>
    let count: Int
    init(_ count: Int) {
        self.count = count
        values = .allocate(capacity: count * stride)
        values.initialize(repeating: 0, count: count * stride)
    }
    deinit { values.deallocate() }
    subscript(_ i: Int) -> Int {
        get { values[i * stride] }
        set { values[i * stride] = newValue }
    }
}

/// The `Threads:` line of /proc/self/status.
private func processThreadCount() -> Int? {
    guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return nil }
    for line in text.split(separator: "\n") where line.hasPrefix("Threads:") {
        return Int(line.dropFirst("Threads:".count).trimmingCharacters(in: .whitespaces))
    }
    return nil
}

@Suite("ThreadPool", .serialized)
struct ThreadPoolTests {
    @Test("every thread index runs exactly once per run", arguments: [1, 2, 3, 4])
    func everyThreadOnce(threads: Int) {
        let pool = ThreadPool(threads: threads)
        #expect(pool.threadCount == threads)
        let counters = Counters(threads)
        let seenCount = Atomic<Int>(0)
        let runs = 1000
        for _ in 0..<runs {
            pool.run { t, n in
                precondition(n == threads)
                counters[t] += 1
                seenCount.add(1, ordering: .relaxed)
            }
        }
        for t in 0..<threads { #expect(counters[t] == runs, "thread \(t)") }
        #expect(seenCount.load(ordering: .relaxed) == runs * threads)
    }

    @Test("parallel sum over split equals the serial sum", arguments: [1, 2, 3, 4])
    func parallelSum(threads: Int) {
        let pool = ThreadPool(threads: threads)
        let data = (0..<100_003).map { Int64(($0 &* 2_654_435_761) % 1000) - 500 }
        let serial = data.reduce(0, +)
        let partial = Counters(threads)
        data.withUnsafeBufferPointer { buffer in
            pool.run { t, n in
                var sum: Int64 = 0
                for i in ThreadPool.split(buffer.count, part: t, of: n, granularity: 8) { sum += buffer[i] }
                partial[t] = Int(sum)
            }
        }
        #expect((0..<threads).reduce(0) { $0 + partial[$1] } == Int(serial))
    }

    @Test("split covers 0..<count exactly, in order, with aligned boundaries")
    func splitCoverage() {
        for count in [0, 1, 2, 3, 5, 7, 8, 10, 31, 32, 33, 63, 64, 65, 100, 127, 1000, 4097] {
            for parts in [1, 2, 3, 4, 5, 7, 8, 16, 33, 200] {
                for granularity in [1, 2, 3, 4, 8, 16, 32, 64, 100] {
                    var next = 0
                    var sizes: [Int] = []
                    for part in 0..<parts {
                        let r = ThreadPool.split(count, part: part, of: parts, granularity: granularity)
                        #expect(r == ThreadPool.split(count, part: part, of: parts, granularity: granularity))
                        #expect(r.lowerBound == next, "count \(count) parts \(parts) g \(granularity) part \(part)")
                        if part < parts - 1 { #expect(r.upperBound % granularity == 0 || r.upperBound == count) }
                        next = r.upperBound
                        sizes.append(r.count)
                    }
                    #expect(next == count, "count \(count) parts \(parts) g \(granularity)")
                    // Near-equal: whole-granule sizes differ by at most one granule.
                    let granules = sizes.map { ($0 + granularity - 1) / granularity }
                    #expect((granules.max() ?? 0) - (granules.min() ?? 0) <= 1)
                }
            }
        }
    }

    @Test("split examples")
    func splitExamples() {
        #expect(ThreadPool.split(10, part: 0, of: 2, granularity: 4) == 0..<8)
        #expect(ThreadPool.split(10, part: 1, of: 2, granularity: 4) == 8..<10)
        #expect(ThreadPool.split(3, part: 3, of: 4) == 3..<3)
        #expect(ThreadPool.split(7, part: 0, of: 3) == 0..<3)
        #expect(ThreadPool.split(7, part: 2, of: 3) == 5..<7)
    }

    @Test("barrier makes phase-1 writes of all threads visible to all", arguments: [1, 2, 3, 4])
    func barrierOrdering(threads: Int) {
        let pool = ThreadPool(threads: threads)
        let slots = Counters(threads)
        let failures = Atomic<Int>(0)
        for round in 1...2000 {
            pool.run { t, n in
                slots[t] = round * 10 + t
                pool.barrier()
                for other in 0..<n where slots[other] != round * 10 + other {
                    failures.add(1, ordering: .relaxed)
                }
                pool.barrier()
                slots[t] = -1  // phase 3: nobody may still be reading phase 2
                pool.barrier()
                for other in 0..<n where slots[other] != -1 { failures.add(1, ordering: .relaxed) }
            }
        }
        #expect(failures.load(ordering: .relaxed) == 0)
    }

    @Test("100 000 runs in a row complete", arguments: [2, 4])
    func stress(threads: Int) {
        let pool = ThreadPool(threads: threads)
        let counters = Counters(threads)
        let runs = threads <= 2 ? 100_000 : 20_000
        for _ in 0..<runs { pool.run { t, _ in counters[t] += 1 } }
        for t in 0..<threads { #expect(counters[t] == runs) }
    }

    @Test("runs separated by sleeps longer than the spin time complete", arguments: [2, 3])
    func sleepWake(threads: Int) {
        let spin = 200
        let pool = ThreadPool(threads: threads, spinMicroseconds: spin)
        let counters = Counters(threads)
        let runs = 30
        for _ in 0..<runs {
            usleep(UInt32(2 * spin))
            pool.run { t, _ in counters[t] += 1 }
        }
        for t in 0..<threads { #expect(counters[t] == runs) }
        // spinMicroseconds 0: workers park immediately; alternate bursts and pauses.
        let eager = ThreadPool(threads: threads, spinMicroseconds: 0)
        let eagerCounters = Counters(threads)
        for i in 0..<2000 {
            if i % 100 == 0 { usleep(1000) }
            eager.run { t, _ in eagerCounters[t] += 1 }
        }
        for t in 0..<threads { #expect(eagerCounters[t] == 2000) }
    }

    @Test("creating and destroying 50 pools does not leak threads")
    func noThreadLeak() throws {
        let before = try #require(processThreadCount())
        for i in 0..<50 {
            let pool = ThreadPool(threads: 2 + i % 3, spinMicroseconds: i % 2 == 0 ? 0 : 50)
            if i % 5 != 0 {
                let counters = Counters(pool.threadCount)
                pool.run { t, _ in counters[t] += 1 }
            }
        }
        let after = try #require(processThreadCount())
        #expect(after <= before + 4, "threads before \(before), after \(after)")
    }

    @Test("shared pool has one thread per online CPU and runs")
    func sharedPool() {
        let pool = ThreadPool.shared
        #expect(pool.threadCount == max(1, sysconf(Int32(_SC_NPROCESSORS_ONLN))))
        let counters = Counters(pool.threadCount)
        pool.run { t, _ in counters[t] += 1 }
        for t in 0..<pool.threadCount { #expect(counters[t] == 1) }
    }
}
