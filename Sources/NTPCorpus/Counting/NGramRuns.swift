import Dispatch

/// Counts packed n-grams (all N ids in one UInt64) by sorting, as KenLM does.
///
/// Events are appended to a buffer (sequential writes, no probing); a full buffer is
/// radix-sorted, reduced to (key, count) and merged into one sorted run of distinct n-grams.
/// Memory is the distinct n-grams plus one buffer, whatever the input size.
final class NGramRuns {
    private var buffer: UnsafeMutablePointer<UInt64>
    /// The buffer being sorted in the background while `buffer` fills.
    private var spare: UnsafeMutablePointer<UInt64>
    private let bufferCapacity: Int
    private var buffered = 0
    private var scratch: [UInt64] = []
    /// The merged run: distinct keys ascending, with their counts (owned by the worker while a merge runs).
    private(set) var keys: [UInt64] = []
    private(set) var counts: [Int64] = []
    /// Sorting and merging run on a second thread, overlapped with tokenization.
    private let worker = DispatchQueue(label: "ntpsep.ngram-runs")
    private let idle = DispatchSemaphore(value: 1)

    init(bufferCapacity: Int = 1 << 22) {
        self.bufferCapacity = bufferCapacity
        buffer = .allocate(capacity: bufferCapacity)
        spare = .allocate(capacity: bufferCapacity)
    }

    deinit {
        // libdispatch traps when a semaphore dies below its initial value: wait, then give it back.
        idle.wait(); idle.signal()
        buffer.deallocate(); spare.deallocate()
    }

    /// Distinct n-grams merged so far plus events still buffered (for progress display).
    var approximateCount: Int { keys.count + buffered }

    @inline(__always)
    func add(_ key: UInt64) {
        buffer[buffered] = key
        buffered += 1
        if buffered == bufferCapacity { startMerge() }
    }

    /// Hands the full buffer to the worker and continues in the other one.
    private func startMerge() {
        idle.wait()
        swap(&buffer, &spare)
        // The worker owns `spare` until it signals `idle`; nothing else touches it meanwhile.
        struct Handoff: @unchecked Sendable { let events: UnsafeBufferPointer<UInt64>; let runs: NGramRuns }
        let handoff = Handoff(events: UnsafeBufferPointer(start: spare, count: buffered), runs: self)
        buffered = 0
        worker.async {
            handoff.runs.merge(handoff.events)
            handoff.runs.idle.signal()
        }
    }

    /// Merges everything buffered and waits for the worker.
    func flush() {
        if buffered > 0 { startMerge() }
        idle.wait()
        idle.signal()
    }

    /// Sorts one buffer, reduces equal keys, and merges the result into the run.
    private func merge(_ events: UnsafeBufferPointer<UInt64>) {
        var run = Array(events)
        radixSort(&run, scratch: &scratch)
        var runKeys: [UInt64] = [], runCounts: [Int64] = []
        runKeys.reserveCapacity(run.count / 2); runCounts.reserveCapacity(run.count / 2)
        var i = 0
        while i < run.count {
            var j = i + 1
            while j < run.count && run[j] == run[i] { j += 1 }
            runKeys.append(run[i]); runCounts.append(Int64(j - i))
            i = j
        }
        if keys.isEmpty { keys = runKeys; counts = runCounts; return }
        var mergedKeys: [UInt64] = [], mergedCounts: [Int64] = []
        mergedKeys.reserveCapacity(keys.count + runKeys.count); mergedCounts.reserveCapacity(keys.count + runKeys.count)
        var a = 0, b = 0
        while a < keys.count && b < runKeys.count {
            if keys[a] < runKeys[b] { mergedKeys.append(keys[a]); mergedCounts.append(counts[a]); a += 1 }
            else if keys[a] > runKeys[b] { mergedKeys.append(runKeys[b]); mergedCounts.append(runCounts[b]); b += 1 }
            else { mergedKeys.append(keys[a]); mergedCounts.append(counts[a] + runCounts[b]); a += 1; b += 1 }
        }
        while a < keys.count { mergedKeys.append(keys[a]); mergedCounts.append(counts[a]); a += 1 }
        while b < runKeys.count { mergedKeys.append(runKeys[b]); mergedCounts.append(runCounts[b]); b += 1 }
        keys = mergedKeys; counts = mergedCounts
    }

    /// Calls `body(key, count)` for every distinct n-gram, in key order.
    func forEach(_ body: (UInt64, Int64) -> Void) {
        flush()
        for i in 0..<keys.count { body(keys[i], counts[i]) }
    }
}

/// Sorts `keys` ascending (LSD radix sort, 11-bit digits; digits where all keys agree are skipped).
func radixSort(_ keys: inout [UInt64], scratch: inout [UInt64]) {
    var none: [Int64] = []
    radixSort(&keys, &none, scratch: &scratch)
}

/// Sorts `keys` ascending and permutes `values` alongside (LSD radix sort, 11-bit digits;
/// digits where every key agrees are skipped).
func radixSort(_ keys: inout [UInt64], _ values: inout [Int64]) {
    var scratch: [UInt64] = []
    radixSort(&keys, &values, scratch: &scratch)
}

/// The shared implementation; `values` may be empty (keys only).
func radixSort(_ keys: inout [UInt64], _ values: inout [Int64], scratch tmpKeys: inout [UInt64]) {
    let n = keys.count
    guard n > 1 else { return }
    let withValues = !values.isEmpty
    var orAll: UInt64 = 0, andAll: UInt64 = .max
    for k in keys { orAll |= k; andAll &= k }
    let varying = orAll ^ andAll
    if tmpKeys.count != n { tmpKeys = [UInt64](repeating: 0, count: n) }
    var tmpValues = [Int64](repeating: 0, count: withValues ? n : 0)
    // 11-bit digits: 2,048 buckets keep the histogram and the scatter targets in L1/L2.
    var histogram = [Int](repeating: 0, count: 1 << 11)
    for shift in stride(from: 0, to: 64, by: 11) where (varying >> UInt64(shift)) & 0x7FF != 0 {
        for i in 0..<histogram.count { histogram[i] = 0 }
        for k in keys { histogram[Int((k >> UInt64(shift)) & 0x7FF)] += 1 }
        var sum = 0
        for i in 0..<histogram.count { let c = histogram[i]; histogram[i] = sum; sum += c }
        keys.withUnsafeBufferPointer { src in
            tmpKeys.withUnsafeMutableBufferPointer { dst in
                histogram.withUnsafeMutableBufferPointer { h in
                    let s = UInt64(shift)
                    if withValues {
                        values.withUnsafeBufferPointer { v in
                            tmpValues.withUnsafeMutableBufferPointer { tv in
                                for i in 0..<n {
                                    let d = Int((src[i] >> s) & 0x7FF)
                                    let p = h[d]
                                    dst[p] = src[i]; tv[p] = v[i]
                                    h[d] = p + 1
                                }
                            }
                        }
                    } else {
                        for i in 0..<n {
                            let d = Int((src[i] >> s) & 0x7FF)
                            let p = h[d]
                            dst[p] = src[i]
                            h[d] = p + 1
                        }
                    }
                }
            }
        }
        swap(&keys, &tmpKeys)
        if withValues { swap(&values, &tmpValues) }
    }
}
