/// Sorts and sums (key, count) pairs in bounded memory, as KenLM's builder does: pairs fill a
/// buffer of `capacity`; a full buffer is radix-sorted, reduced to distinct keys and written as
/// a run; `forEachSorted` merges the runs k-way. When everything fitted in one buffer nothing
/// touches the disk. Memory: 32 bytes per buffered pair (keys, counts and sort scratch).
final class ExternalSorter {
    private let capacity: Int
    private let folder: SpillFolder
    private let keys: UnsafeMutablePointer<UInt64>
    private let counts: UnsafeMutablePointer<Int64>
    private let scratchKeys: UnsafeMutablePointer<UInt64>
    private let scratchCounts: UnsafeMutablePointer<Int64>
    private var used = 0
    private var runs: [String] = []

    /// The buffer size for a budget of `bytes`.
    static func capacity(forBudget bytes: Int) -> Int { max(1 << 12, bytes / 32) }

    init(capacity: Int, folder: SpillFolder) {
        self.capacity = max(capacity, 2)
        self.folder = folder
        keys = .allocate(capacity: self.capacity); counts = .allocate(capacity: self.capacity)
        scratchKeys = .allocate(capacity: self.capacity); scratchCounts = .allocate(capacity: self.capacity)
    }

    deinit { keys.deallocate(); counts.deallocate(); scratchKeys.deallocate(); scratchCounts.deallocate() }

    /// Number of runs written so far.
    var runCount: Int { runs.count }

    @inline(__always)
    func add(_ key: UInt64, _ count: Int64) throws {
        keys[used] = key; counts[used] = count
        used += 1
        if used == capacity { try spill() }
    }

    /// Sorts the buffer and sums equal keys in place; returns the number of distinct keys.
    private func sortBuffer() -> Int {
        RadixSort.sort(keys, counts, count: used, tmpKeys: scratchKeys, tmpValues: scratchCounts, threads: 2)
        var distinct = 0
        for i in 0..<used {
            if distinct > 0 && keys[distinct - 1] == keys[i] { counts[distinct - 1] += counts[i]; continue }
            keys[distinct] = keys[i]; counts[distinct] = counts[i]
            distinct += 1
        }
        used = 0
        return distinct
    }

    private func spill() throws {
        let distinct = sortBuffer()
        let writer = try RunWriter(in: folder, stem: "sorted")
        for i in 0..<distinct { try writer.append(keys[i], counts[i]) }
        try writer.close()
        runs.append(writer.path)
    }

    /// Calls `body` once per distinct key in ascending order with its summed count. Call once.
    func forEachSorted(_ body: (UInt64, Int64) throws -> Void) throws {
        if runs.isEmpty {
            let distinct = sortBuffer()
            for i in 0..<distinct { try body(keys[i], counts[i]) }
            return
        }
        if used > 0 { try spill() }
        let readers = try runs.map { try RunReader(path: $0, folder: folder) }
        try RunMerger(readers).forEach(body)
    }
}
