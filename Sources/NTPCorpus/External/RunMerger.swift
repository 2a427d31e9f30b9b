/// K-way merge of sorted runs, summing the counts of equal keys (a binary heap of the runs'
/// current keys; ties go to the lower run index, so the order of reading is fixed).
///
/// `remap` (one per run, optional) maps a run's keys into the merged key space; it must be
/// monotone, which keeps every run sorted (parts map their byte-ordered token ids into the
/// byte-ordered union vocabulary this way).
final class RunMerger {
    private let runs: [RunReader]
    private let remaps: [((UInt64) -> UInt64)?]
    private var heap: [(key: UInt64, run: Int)] = []

    init(_ runs: [RunReader], remaps: [((UInt64) -> UInt64)?]? = nil) {
        self.runs = runs
        self.remaps = remaps ?? Array(repeating: nil, count: runs.count)
    }

    /// Calls `body(key, count)` once per distinct key, in ascending order.
    func forEach(_ body: (UInt64, Int64) throws -> Void) throws {
        heap.removeAll(keepingCapacity: true)
        for r in runs.indices where try runs[r].advance() { push((currentKey(r), r)) }
        guard var (key, total) = try pop() else { return }
        while let (k, c) = try pop() {
            if k == key { total += c; continue }
            try body(key, total)
            key = k; total = c
        }
        try body(key, total)
    }

    @inline(__always)
    private func currentKey(_ r: Int) -> UInt64 {
        let k = runs[r].key
        return remaps[r].map { $0(k) } ?? k
    }

    /// The smallest current pair; its run moves on.
    private func pop() throws -> (UInt64, Int64)? {
        guard let top = heap.first else { return nil }
        let count = runs[top.run].count
        if try runs[top.run].advance() {
            heap[0] = (currentKey(top.run), top.run)
        } else {
            heap[0] = heap[heap.count - 1]
            heap.removeLast()
        }
        if !heap.isEmpty { siftDown(0) }
        return (top.key, count)
    }

    private func less(_ a: (key: UInt64, run: Int), _ b: (key: UInt64, run: Int)) -> Bool {
        a.key < b.key || (a.key == b.key && a.run < b.run)
    }

    private func push(_ entry: (key: UInt64, run: Int)) {
        heap.append(entry)
        var i = heap.count - 1
        while i > 0 {
            let parent = (i - 1) / 2
            guard less(heap[i], heap[parent]) else { break }
            heap.swapAt(i, parent); i = parent
        }
    }

    private func siftDown(_ start: Int) {
        var i = start
        while true {
            let l = 2 * i + 1, r = l + 1
            var m = i
            if l < heap.count && less(heap[l], heap[m]) { m = l }
            if r < heap.count && less(heap[r], heap[m]) { m = r }
            if m == i { return }
            heap.swapAt(i, m); i = m
        }
    }
}
