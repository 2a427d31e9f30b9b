import CSupport
import Dispatch
import NTPFormats
import Synchronization

/// Counts packed n-grams (all N ids in one UInt64) by sorting, as KenLM does.
///
/// Events are appended to a buffer (sequential writes, no probing); a full buffer is
/// radix-sorted, reduced to (key, count) and merged into one sorted run of distinct n-grams.
/// Memory is the distinct n-grams plus three event buffers (filling, sorting, scratch), whatever
/// the input size.
final class NGramRuns {
    private var buffer: UnsafeMutablePointer<UInt64>
    /// The buffer being sorted in the background while `buffer` fills.
    private var spare: UnsafeMutablePointer<UInt64>
    let bufferCapacity: Int
    private var buffered = 0
    private let scratch: UnsafeMutablePointer<UInt64>
    /// The merged run: distinct keys ascending, with their counts (owned by the worker while a merge runs).
    private(set) var run = KeyCounts()
    /// Where the next merge writes; swapped with `run` after each merge so no merge allocates.
    private var nextRun = KeyCounts()
    /// Sorting and merging run on a second thread, overlapped with tokenization.
    private let worker = DispatchQueue(label: "ntpsep.ngram-runs")
    private let idle = DispatchSemaphore(value: 1)
    /// `run.count` as of the last merge, for `approximateCount`: the reading thread may ask while the
    /// worker is merging, so it must not read `run` itself.
    private let mergedCount = Atomic<Int>(0)
    /// Events handed to the worker by the latest `startMerge` (reading thread only).
    private var handedOff = 0
    /// Set by the worker when it began to write a run to the spill folder; read without waiting for it.
    private let spilled = Atomic<Bool>(false)
    private var released = false
    /// Gives the folder full runs go to under a memory budget, created on the first spill
    /// (`nil`: everything stays in memory).
    var spillFolder: (() throws -> SpillFolder)?
    /// A merged run of at least this many pairs is written to `spillFolder` and emptied (set by
    /// the reading thread; each merge takes the value current when it was handed off).
    var spillLimit = Int.max
    /// The runs written so far, each sorted by key with distinct keys.
    private(set) var spilledRuns: [String] = []
    /// The first error of a spill on the worker, thrown by `takeSpillError()`.
    private var spillError: Error?

    /// 4 M events (32 MB) when a second CPU can sort full buffers while tokenizing goes on. With
    /// one CPU nothing overlaps, and every sort here is repeated by the final one after the remap
    /// to frequency-ordered ids, so events stay raw up to 16 M (128 MB, still a constant).
    static let defaultBufferCapacity = ntp_available_cpus() > 1 ? 1 << 22 : 1 << 24

    init(bufferCapacity: Int = NGramRuns.defaultBufferCapacity) {
        self.bufferCapacity = bufferCapacity
        buffer = .allocate(capacity: bufferCapacity)
        spare = .allocate(capacity: bufferCapacity)
        scratch = .allocate(capacity: bufferCapacity)
    }

    deinit {
        // libdispatch traps when a semaphore dies below its initial value: wait, then give it back.
        idle.wait(); idle.signal()
        if !released { buffer.deallocate(); spare.deallocate(); scratch.deallocate() }
        run.deallocate(); nextRun.deallocate()
    }

    /// Distinct n-grams merged so far plus events still buffered (for progress display).
    var approximateCount: Int { mergedCount.load(ordering: .relaxed) + buffered }

    /// An upper bound on the distinct n-grams counted so far, without waiting for the worker: the
    /// last merge's run, plus the events it may still be merging, plus the buffered ones.
    var pairsAtMost: Int { mergedCount.load(ordering: .acquiring) + handedOff + buffered }

    /// Whether a run went to disk, or may still go there in the merge under way (read without
    /// waiting for the worker: a merge spills only once its run reaches `spillLimit`).
    var mayHaveSpilled: Bool { spilled.load(ordering: .acquiring) || pairsAtMost >= spillLimit }

    @inline(__always)
    func add(_ key: UInt64) {
        assert(!released)
        buffer[buffered] = key
        buffered += 1
        if buffered == bufferCapacity { startMerge() }
    }

    /// Hands the full buffer to the worker and continues in the other one.
    private func startMerge() {
        idle.wait()
        swap(&buffer, &spare)
        // The worker owns `spare`, `scratch`, the runs and the spill state until it signals `idle`;
        // meanwhile this thread touches only `buffer`, `buffered`, `handedOff` and the atomics.
        let runs = WorkerShared(self), events = SharedPointer(base: spare), count = buffered, limit = spillLimit
        handedOff = buffered
        buffered = 0
        worker.async {
            let runs = runs.value
            runs.merge(events.base, count: count)
            if runs.run.count >= limit { runs.spillRun() }
            runs.mergedCount.store(runs.run.count, ordering: .releasing)
            runs.idle.signal()
        }
    }

    /// Merges everything buffered and waits for the worker.
    func flush() {
        if buffered > 0 { startMerge() }
        finish()
    }

    /// Waits for the worker without merging the buffer: the counts are then `run` plus one per
    /// key in `unmerged` (unsorted, with repeats). For callers that re-sort everything anyway.
    @discardableResult
    func finish() -> UnsafeBufferPointer<UInt64> {
        idle.wait()
        idle.signal()
        nextRun.release()   // stale storage of the previous merge; a later merge allocates again
        return UnsafeBufferPointer(start: buffer, count: buffered)
    }

    /// Writes the merged run to the spill folder and empties it (after `finish()`, or on the
    /// worker). A failure is kept for `takeSpillError()`.
    func spillRun() {
        guard spillError == nil, run.count > 0, let folder = spillFolder else { return }
        spilled.store(true, ordering: .releasing)
        do {
            let writer = try RunWriter(in: try folder(), stem: "counts")
            for i in 0..<run.count { try writer.append(run.keys[i], run.counts[i]) }
            try writer.close()
            spilledRuns.append(writer.path)
            run.count = 0
            mergedCount.store(0, ordering: .releasing)
        } catch {
            spillError = error
        }
    }

    /// Throws the first spill failure (after `finish()`).
    func takeSpillError() throws {
        if let e = spillError { spillError = nil; throw e }
    }

    /// Frees every buffer once the caller has taken the counts (after `finish()`); the table
    /// is then empty and must not be used again.
    func release() {
        idle.wait(); idle.signal()
        precondition(!released, "NGramRuns released twice")
        released = true
        buffer.deallocate(); spare.deallocate(); scratch.deallocate()
        run.release(); nextRun.release()
        buffered = 0
    }

    /// Sorts one buffer in place, reduces equal keys, and merges the result into the run.
    private func merge(_ events: UnsafeMutablePointer<UInt64>, count n: Int) {
        RadixSort.sort(events, nil, count: n, tmpKeys: scratch, tmpValues: nil)
        // Reduce in place: keys to the front of `events`, counts into `scratch` (as Int64 bits).
        let counts = UnsafeMutableRawPointer(scratch).assumingMemoryBound(to: Int64.self)
        var distinct = 0, i = 0
        while i < n {
            var j = i + 1
            while j < n && events[j] == events[i] { j += 1 }
            events[distinct] = events[i]; counts[distinct] = Int64(j - i)
            distinct += 1
            i = j
        }
        nextRun.reserve(run.count + distinct)
        let a = run, out = nextRun
        var x = 0, y = 0, z = 0
        while x < a.count && y < distinct {
            let ka = a.keys[x], kb = events[y]
            if ka < kb { out.keys[z] = ka; out.counts[z] = a.counts[x]; x += 1 }
            else if ka > kb { out.keys[z] = kb; out.counts[z] = counts[y]; y += 1 }
            else { out.keys[z] = ka; out.counts[z] = a.counts[x] + counts[y]; x += 1; y += 1 }
            z += 1
        }
        if x < a.count {
            (out.keys + z).update(from: a.keys + x, count: a.count - x)
            (out.counts + z).update(from: a.counts + x, count: a.count - x)
            z += a.count - x
        }
        if y < distinct {
            (out.keys + z).update(from: events + y, count: distinct - y)
            (out.counts + z).update(from: counts + y, count: distinct - y)
            z += distinct - y
        }
        nextRun.count = z
        swap(&run, &nextRun)
    }

    /// Calls `body(key, count)` for every distinct n-gram, in key order.
    func forEach(_ body: (UInt64, Int64) -> Void) {
        flush()
        for i in 0..<run.count { body(run.keys[i], run.counts[i]) }
    }
}

/// Distinct keys ascending with their counts, in raw growable storage.
struct KeyCounts {
    private(set) var keys = UnsafeMutablePointer<UInt64>.allocate(capacity: 1)
    private(set) var counts = UnsafeMutablePointer<Int64>.allocate(capacity: 1)
    private var capacity = 1
    var count = 0

    /// Makes room for `n` entries (contents are not kept: the storage is overwritten next).
    mutating func reserve(_ n: Int) {
        guard n > capacity else { return }
        keys.deallocate(); counts.deallocate()
        capacity = max(n, capacity + capacity / 2)
        keys = .allocate(capacity: capacity); counts = .allocate(capacity: capacity)
    }

    /// Frees the storage (and forgets the contents).
    mutating func release() {
        deallocate()
        self = KeyCounts()
    }

    func deallocate() { keys.deallocate(); counts.deallocate() }
}
