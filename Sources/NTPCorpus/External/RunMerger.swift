/// K-way merge of sorted runs, summing the counts of equal keys (a binary heap of the runs'
/// current keys; ties go to the lower run index, so the order of reading is fixed).
///
/// A run may renumber its keys as it reads them (`RunReader`'s `remap`); the map must be
/// monotone, which keeps every run sorted (parts map their byte-ordered token ids into the
/// byte-ordered union vocabulary this way).
final class RunMerger {
    private let runs: [RunReader]

    init(_ runs: [RunReader]) {
        self.runs = runs
    }

    /// Calls `body(key, count)` once per distinct key, in ascending order. The heap is a local
    /// value: as a stored property every access was checked for exclusivity at run time, and with
    /// per-run closures for the remap, a fifth of `merge`'s time went to those and to retains.
    func forEach(_ body: (UInt64, Int64) throws -> Void) throws {
        let runs = self.runs
        var heap = MergeHeap()
        for r in runs.indices where try runs[r].advance() { heap.push(key: runs[r].key, run: r) }
        guard var (key, total) = try pop(&heap, runs) else { return }
        while let (k, c) = try pop(&heap, runs) {
            if k == key { total += c; continue }
            try body(key, total)
            key = k; total = c
        }
        try body(key, total)
    }

    /// The smallest current pair; its run moves on.
    @inline(__always)
    private func pop(_ heap: inout MergeHeap, _ runs: [RunReader]) throws -> (UInt64, Int64)? {
        guard let top = heap.top else { return nil }
        let reader = runs[top.run]
        let count = reader.count
        if try reader.advance() { heap.replaceTop(key: reader.key) } else { heap.removeTop() }
        return (top.key, count)
    }
}

/// A binary min-heap of (key, run) ordered by key, then run.
private struct MergeHeap {
    private var keys: [UInt64] = []
    private var runs: [Int] = []

    var top: (key: UInt64, run: Int)? { keys.isEmpty ? nil : (keys[0], runs[0]) }

    @inline(__always)
    private func less(_ a: Int, _ b: Int) -> Bool { keys[a] < keys[b] || (keys[a] == keys[b] && runs[a] < runs[b]) }

    private mutating func swapAt(_ a: Int, _ b: Int) { keys.swapAt(a, b); runs.swapAt(a, b) }

    mutating func push(key: UInt64, run: Int) {
        keys.append(key); runs.append(run)
        var i = keys.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard less(i, parent) else { break }
            swapAt(i, parent); i = parent
        }
    }

    /// Gives the top run its next key.
    mutating func replaceTop(key: UInt64) {
        keys[0] = key
        siftDown()
    }

    /// Drops the top run (it has ended).
    mutating func removeTop() {
        keys[0] = keys[keys.count - 1]; runs[0] = runs[runs.count - 1]
        keys.removeLast(); runs.removeLast()
        if !keys.isEmpty { siftDown() }
    }

    private mutating func siftDown() {
        var i = 0
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < keys.count && less(l, m) { m = l }
            if r < keys.count && less(r, m) { m = r }
            if m == i { return }
            swapAt(i, m); i = m
        }
    }
}
