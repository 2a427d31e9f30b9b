import Dispatch
import NTPFormats

/// Turns raw counts into the canonical data set: final token ids, `<unk>` mapping, sorted rows.
///
/// Token ids: the special tokens that occur (`<s>`, `</s>`, `<unk>`, in that order) come first,
/// then tokens by decreasing count, ties broken by their UTF-8 bytes. Rows (contexts) are sorted
/// lexicographically by their token ids. Both orders depend only on the counts, so the same
/// corpus gives the same file whatever order its pieces were read in.
public enum DataSetBuilder {
    static func build(interner: TokenInterner, sequences: SequenceCounter, optionsJSON: String,
                      maxVocabulary: Int?, minCount: Int) -> DataSet {
        let n = sequences.contextLength
        let (newID, vocabulary) = finalTokenIDs(interner: interner, sequences: sequences,
                                                maxVocabulary: maxVocabulary, minCount: minCount)
        if let table = sequences.packed {
            return buildPacked(table, sequences: sequences, newID: newID, vocabulary: vocabulary, optionsJSON: optionsJSON)
        }
        let counter = sequences.general!
        // Contexts under the final ids, sorted; contexts that now coincide (through <unk>) share a row.
        let m0 = counter.contextCount
        var keys = [UInt32](repeating: 0, count: m0 * n)
        for c in 0..<m0 { for (t, id) in counter.context(c).enumerated() { keys[c * n + t] = newID[Int(id)] } }
        let order = sortedContextOrder(keys, count: m0, length: n)
        var row = [Int32](repeating: 0, count: m0)
        var contexts: [Int32] = []
        contexts.reserveCapacity(m0 * n)
        var m = 0
        keys.withUnsafeBufferPointer { k in
            for (position, c) in order.enumerated() {
                let isNew = position == 0 || (0..<n).contains { k[c * n + $0] != k[order[position - 1] * n + $0] }
                if isNew {
                    m += 1
                    for t in 0..<n { contexts.append(Int32(k[c * n + t])) }
                }
                row[c] = Int32(m - 1)
            }
        }
        if m0 == 0 { m = 0 }
        // CSR by counting sort on rows, then each row sorted by column with duplicates summed.
        var rowOffsets = [Int](repeating: 0, count: m + 1)
        counter.forEachPair { c, _, _ in rowOffsets[Int(row[c]) + 1] += 1 }
        for r in 0..<m { rowOffsets[r + 1] += rowOffsets[r] }
        var next = rowOffsets
        var columns = [Int32](repeating: 0, count: rowOffsets[m])
        var counts = [Double](repeating: 0, count: rowOffsets[m])
        counter.forEachPair { c, tok, count in
            let r = Int(row[c])
            columns[next[r]] = Int32(newID[Int(tok)]); counts[next[r]] = Double(count); next[r] += 1
        }
        let (finalOffsets, finalColumns, finalCounts) = sortRows(rowOffsets, columns, counts)
        return DataSet(contextCount: m, vocabularySize: vocabulary.count, rowOffsets: finalOffsets, columns: finalColumns,
                       counts: finalCounts, vocabulary: vocabulary, contexts: contexts, contextLength: n,
                       optionsJSON: optionsJSON)
    }

    /// Old interner id -> final id, and the final vocabulary.
    static func finalTokenIDs(interner: TokenInterner, sequences: SequenceCounter, maxVocabulary: Int?, minCount: Int) -> ([UInt32], [String]) {
        finalTokenIDs(interner: interner, padded: sequences.padded, sequenceCount: sequences.sequenceCount,
                      contextLength: sequences.contextLength, maxVocabulary: maxVocabulary, minCount: minCount)
    }

    /// Which interner ids occur in the counts: every token of the text was counted when
    /// interned; padding adds <s> (in contexts) and </s>.
    static func usedTokens(interner: TokenInterner, padded: Bool, sequenceCount: Int, contextLength: Int) -> [Bool] {
        var used = interner.occurrences.map { $0 > 0 }
        if padded && sequenceCount > 0 {
            used[Int(TokenInterner.sentenceEnd)] = true
            if contextLength > 0 { used[Int(TokenInterner.sentenceStart)] = true }
        }
        return used
    }

    /// `finalTokenIDs` from the counts' shape rather than a `SequenceCounter` (merged parts).
    static func finalTokenIDs(interner: TokenInterner, padded: Bool, sequenceCount: Int, contextLength: Int,
                              maxVocabulary: Int?, minCount: Int) -> ([UInt32], [String]) {
        let oldCount = interner.count
        let occurrences = interner.occurrences
        var used = usedTokens(interner: interner, padded: padded, sequenceCount: sequenceCount, contextLength: contextLength)
        let ordinary = tokensByFrequency((TokenInterner.specials.count..<oldCount).filter { used[$0] },
                                         occurrences: occurrences, interner: interner)
        var kept = ordinary.filter { occurrences[$0] >= Int64(minCount) }
        if let k = maxVocabulary, kept.count > k { kept.removeLast(kept.count - k) }
        if kept.count < ordinary.count { used[Int(TokenInterner.unknown)] = true }
        var newID = [UInt32](repeating: 0, count: oldCount)
        var vocabulary: [String] = []
        for s in 0..<TokenInterner.specials.count where used[s] {
            newID[s] = UInt32(vocabulary.count); vocabulary.append(TokenInterner.specials[s])
        }
        let unknownID = newID[Int(TokenInterner.unknown)]
        for old in ordinary { newID[old] = unknownID }
        for (rank, old) in kept.enumerated() { newID[old] = UInt32(vocabulary.count + rank) }
        vocabulary += strings(of: kept, interner: interner)
        return (newID, vocabulary)
    }

    /// The packed path: remap every n-gram key, radix-sort, and read rows off the sorted keys
    /// (keys that now coincide through `<unk>`, or that are still split between the merged run
    /// and the last unmerged buffer, are adjacent and summed). Two threads share each step; the
    /// result does not depend on how the work was split.
    static func buildPacked(_ table: NGramRuns, sequences: SequenceCounter, newID: [UInt32], vocabulary: [String],
                            optionsJSON: String) -> DataSet {
        let n = sequences.contextLength, bits = UInt64(sequences.bits)
        let unmerged = table.finish()
        // The merged run's keys and counts, then the unmerged events: read only by the workers.
        let run = (keys: SharedConstPointer(base: table.run.keys), counts: SharedConstPointer(base: table.run.counts),
                   count: table.run.count)
        let events = SharedConstPointer(base: unmerged.baseAddress!)
        let total = run.count + unmerged.count
        // Nothing merged yet (small input, or one CPU): every count is 1, so the keys go alone.
        let buffers = PairBuffers(count: total, withValues: run.count > 0)
        let mask: UInt64 = (1 << bits) - 1
        // The sort's first pass counts top bits; counting them here saves it a pass over the keys.
        var largest: UInt64 = 0
        for _ in 0...n { largest = (largest << bits) | UInt64(max(vocabulary.count, 1) - 1) }
        let histogram = RadixSort.PrefixHistogram(maxKey: largest, parts: 2)
        defer { histogram.deallocate() }
        newID.withUnsafeBufferPointer { ids in
            let ids = SharedConstPointer(base: ids.baseAddress!)
            // Unmerged events are in text order, so an n-gram usually shares its first N−1 ids
            // with the previous one's last N−1; the merged run is sorted, so it usually shares its
            // context with the previous key (2.4 tokens per context on the bench file): either way
            // one lookup remaps it.
            let contextMask: UInt64 = n * Int(bits) >= 64 ? .max : (1 << (UInt64(n) * bits)) - 1
            let keyMask: UInt64 = (n + 1) * Int(bits) >= 64 ? .max : (1 << (UInt64(n + 1) * bits)) - 1
            // Each half writes its own positions of the keys and values and its own half of the histogram.
            let keysOut = SharedPointer(base: buffers.keys), valuesOut = buffers.values.map { SharedPointer(base: $0) }
            DispatchQueue.concurrentPerform(iterations: 2) { part in
                let counts = histogram.counts.base + part * RadixSort.prefixCount
                var previous: UInt64 = 0, previousRemapped: UInt64 = 0, chained = false, sorted = false
                for i in (part * total / 2)..<((part + 1) * total / 2) {
                    let key: UInt64, count: Int64
                    if i < run.count { key = run.keys[i]; count = run.counts[i] } else { key = events[i - run.count]; count = 1 }
                    var remapped: UInt64 = 0
                    if n > 0 && chained && key >> bits == previous & contextMask {
                        remapped = ((previousRemapped << bits) | UInt64(ids.base[Int(key & mask)])) & keyMask
                    } else if n > 0 && sorted && key >> bits == previous >> bits {
                        remapped = (previousRemapped & ~mask) | UInt64(ids.base[Int(key & mask)])
                    } else {
                        for t in 0...n {
                            remapped = (remapped << bits) | UInt64(ids.base[Int((key >> (UInt64(n - t) * bits)) & mask)])
                        }
                    }
                    previous = key; previousRemapped = remapped; chained = i >= run.count; sorted = i < run.count
                    keysOut[i] = remapped
                    valuesOut?[i] = count
                    counts[Int((remapped &>> histogram.shift) & RadixSort.prefixMask)] &+= 1
                }
            }
        }
        table.release()   // the counts now live in `buffers` only
        buffers.allocateScratch()
        RadixSort.sort(buffers.keys, buffers.values, count: total, tmpKeys: buffers.tmpKeys!, tmpValues: buffers.tmpValues,
                       threads: 2, histogram: histogram)
        buffers.releaseScratch()
        return rows(buffers, count: total, contextLength: n, bits: bits, vocabulary: vocabulary, optionsJSON: optionsJSON)
    }

    /// The data set read off sorted (key, count) pairs: equal keys are summed, each context
    /// starts a row. Two threads: a counting pass sizes each half (split where a context ends),
    /// then each half fills its own part of the final arrays.
    static func rows(_ buffers: PairBuffers, count total: Int, contextLength n: Int, bits: UInt64,
                     vocabulary: [String], optionsJSON: String) -> DataSet {
        // Read only by the workers; each fills its own range of rows and pairs.
        let keys = SharedConstPointer(base: buffers.keys), values = buffers.values.map { SharedConstPointer(base: UnsafePointer($0)) }
        let tokenMask: UInt64 = (1 << bits) - 1
        var mid = total / 2
        while mid > 0 && mid < total && keys[mid] >> bits == keys[mid - 1] >> bits { mid += 1 }
        let ranges = [0..<mid, mid..<total]
        // Distinct keys (pairs) and distinct contexts (rows) of each half.
        var shapes = [(pairs: Int, rows: Int)](repeating: (0, 0), count: 2)
        shapes.withUnsafeMutableBufferPointer { out in
            let out = SharedPointer(base: out.baseAddress!)   // entry `part` per worker
            DispatchQueue.concurrentPerform(iterations: 2) { part in
                var pairs = 0, rows = 0
                for i in ranges[part] {
                    if i == ranges[part].lowerBound || keys[i] != keys[i - 1] { pairs += 1 }
                    if i == ranges[part].lowerBound || keys[i] >> bits != keys[i - 1] >> bits { rows += 1 }
                }
                out.base[part] = (pairs, rows)
            }
        }
        let pairs = shapes[0].pairs + shapes[1].pairs, rowCount = shapes[0].rows + shapes[1].rows
        var rowOffsets: [Int] = [], columns: [Int32] = [], counts: [Double] = [], contexts: [Int32] = []
        withUninitialized(&rowOffsets, rowCount + 1) { offsets in
        withUninitialized(&columns, pairs) { columns in
        withUninitialized(&counts, pairs) { counts in
        withUninitialized(&contexts, rowCount * n) { contexts in
            offsets[0] = 0
            DispatchQueue.concurrentPerform(iterations: 2) { [shapes] part in
                var pair = part == 0 ? -1 : shapes[0].pairs - 1
                var row = part == 0 ? -1 : shapes[0].rows - 1
                for i in ranges[part] {
                    let key = keys[i]
                    if i > ranges[part].lowerBound && key == keys[i - 1] { counts[pair] += Double(values?[i] ?? 1); continue }
                    pair += 1
                    if i == ranges[part].lowerBound || key >> bits != keys[i - 1] >> bits {
                        row += 1
                        offsets[row] = pair
                        for t in 0..<n { contexts[row * n + t] = Int32(truncatingIfNeeded: (key >> (UInt64(n - t) * bits)) & tokenMask) }
                    }
                    columns[pair] = Int32(truncatingIfNeeded: key & tokenMask)
                    counts[pair] = Double(values?[i] ?? 1)
                }
            }
            offsets[rowCount] = pairs
        }}}}
        return DataSet(contextCount: rowCount, vocabularySize: vocabulary.count, rowOffsets: rowOffsets,
                       columns: columns, counts: counts, vocabulary: vocabulary, contexts: contexts, contextLength: n,
                       optionsJSON: optionsJSON)
    }

    /// Sets `array` to `count` elements that `fill` writes through the pointer (no zeroing pass; a
    /// trivial `T` is initialized by assignment). The row-filling workers write disjoint indices.
    /// One element of capacity more, so that the pointer exists even for `count` 0.
    private static func withUninitialized<T: BitwiseCopyable>(_ array: inout [T], _ count: Int, _ fill: (SharedPointer<T>) -> Void) {
        array = [T](unsafeUninitializedCapacity: count + 1) { buffer, initialized in
            fill(SharedPointer(base: buffer.baseAddress!))
            initialized = count
        }
    }

    /// Keys and values plus radix-sort scratch (allocated only while sorting, to keep the peak
    /// low). Without values every count is 1 (nothing was merged before the final sort).
    final class PairBuffers {
        let keys: UnsafeMutablePointer<UInt64>
        let values: UnsafeMutablePointer<Int64>?
        private(set) var tmpKeys: UnsafeMutablePointer<UInt64>?
        private(set) var tmpValues: UnsafeMutablePointer<Int64>?
        private let capacity: Int
        init(count: Int, withValues: Bool = true) {
            capacity = max(count, 1)
            keys = .allocate(capacity: capacity)
            values = withValues ? .allocate(capacity: capacity) : nil
        }
        func allocateScratch() {
            guard tmpKeys == nil else { return }
            tmpKeys = .allocate(capacity: capacity)
            if values != nil { tmpValues = .allocate(capacity: capacity) }
        }
        func releaseScratch() {
            tmpKeys?.deallocate(); tmpValues?.deallocate(); tmpKeys = nil; tmpValues = nil
        }
        deinit { keys.deallocate(); values?.deallocate(); releaseScratch() }
    }

    /// The strings of tokens `ids`, built on two threads (a million-token vocabulary is
    /// a million String allocations). The ids come in frequency order, so each one's entry and
    /// bytes would be two cache misses: they are prefetched 16 and 8 tokens ahead.
    static func strings(of ids: [Int], interner: TokenInterner) -> [String] {
        let n = ids.count
        guard n > 0 else { return [] }
        let parts = n >= 1 << 14 ? 2 : 1
        return [String](unsafeUninitializedCapacity: n) { buffer, initialized in
            let out = SharedPointer(base: buffer.baseAddress!)
            // `string(of:)` only reads the table; each part initializes its own range of `out`.
            let table = WorkerShared(interner)
            ids.withUnsafeBufferPointer { ids in
                let ids = SharedConstPointer(base: ids.baseAddress!)
                DispatchQueue.concurrentPerform(iterations: parts) { part in
                    let range = (part * n / parts)..<((part + 1) * n / parts)
                    for i in range {
                        if i + 16 < range.upperBound { table.value.prefetchEntry(of: ids.base[i + 16]) }
                        if i + 8 < range.upperBound { table.value.prefetchBytes(of: ids.base[i + 8]) }
                        (out.base + i).initialize(to: table.value.string(of: ids.base[i]))
                    }
                }
            }
            initialized = n
        }
    }

    /// Ids by decreasing count, ties by their bytes. One radix sort by count (stable, so each
    /// count's ids stay ascending and their bytes are then read in arena order), then each count's
    /// ids by their bytes (`sortByBytes`). Every pass reads memory near-sequentially: the three
    /// whole-vocabulary passes this replaced gathered in frequency order, a cache miss per token,
    /// and took 3 times as long on the 1.28 M types of the bench file.
    static func tokensByFrequency(_ ids: [Int], occurrences: [Int64], interner: TokenInterner) -> [Int] {
        let n = ids.count
        guard n > 1 else { return ids }
        let buffers = PairBuffers(count: n)
        buffers.allocateScratch()
        let keys = buffers.keys, order = buffers.values!, tmpKeys = buffers.tmpKeys!, tmpOrder = buffers.tmpValues!
        for i in 0..<n { keys[i] = UInt64(bitPattern: Int64.max - occurrences[ids[i]]); order[i] = Int64(ids[i]) }
        RadixSort.sort(keys, order, count: n, tmpKeys: tmpKeys, tmpValues: tmpOrder, threads: 2)
        var start = 0
        while start < n {
            var end = start + 1
            while end < n && keys[end] == keys[start] { end += 1 }
            if end - start > 1 {
                sortByBytes(keys + start, order + start, count: end - start, tmpKeys + start, tmpOrder + start, interner)
            }
            start = end
        }
        return (0..<n).map { Int(order[$0]) }
    }

    /// `ids` in byte order (`ByteOrder`): a part's vocabulary.
    static func tokensByBytes(_ ids: [Int], interner: TokenInterner) -> [Int] {
        let n = ids.count
        guard n > 1 else { return ids }
        let buffers = PairBuffers(count: n)
        buffers.allocateScratch()
        for i in 0..<n { buffers.values![i] = Int64(ids[i]) }
        sortByBytes(buffers.keys, buffers.values!, count: n, buffers.tmpKeys!, buffers.tmpValues!, interner)
        return (0..<n).map { Int(buffers.values![$0]) }
    }

    /// Sorts the ids `order[0..<n]` by their bytes from `offset` on (the bytes before it are equal):
    /// radix by the next 8 (big-endian, zero padded, so word order is byte order), then the same
    /// for each run of equal words, 8 bytes further; a small run is compared whole. Overwrites `keys`.
    private static func sortByBytes(_ keys: UnsafeMutablePointer<UInt64>, _ order: UnsafeMutablePointer<Int64>, count n: Int,
                                    _ tmpKeys: UnsafeMutablePointer<UInt64>, _ tmpOrder: UnsafeMutablePointer<Int64>,
                                    _ interner: TokenInterner, from offset: Int = 0) {
        if n <= 16 {
            var ids = UnsafeMutableBufferPointer(start: order, count: n)
            ids.sort { ByteOrder.precedes(interner.bytes(of: Int($0)), interner.bytes(of: Int($1))) }
            return
        }
        var longer = false
        for i in 0..<n {
            let b = interner.bytes(of: Int(order[i]))
            keys[i] = b.count <= offset ? 0 : ByteHash.word(UnsafeRawPointer(b.baseAddress! + offset), min(8, b.count - offset)).byteSwapped
            longer = longer || b.count > offset + 8
        }
        RadixSort.sort(keys, order, count: n, tmpKeys: tmpKeys, tmpValues: tmpOrder)
        var start = 0
        while start < n {
            var end = start + 1
            while end < n && keys[end] == keys[start] { end += 1 }
            if end - start > 1 {
                if longer {
                    sortByBytes(keys + start, order + start, count: end - start, tmpKeys + start, tmpOrder + start, interner, from: offset + 8)
                } else {
                    // Equal zero-padded words within the word: the tokens differ only by trailing NUL bytes.
                    var ids = UnsafeMutableBufferPointer(start: order + start, count: end - start)
                    ids.sort { interner.bytes(of: Int($0)).count < interner.bytes(of: Int($1)).count }
                }
            }
            start = end
        }
    }

    /// Indices 0..<count sorted lexicographically by their `length` keys (stable).
    static func sortedContextOrder(_ keys: [UInt32], count: Int, length n: Int) -> [Int] {
        if n <= 2 {
            // Pack the whole key into one UInt64; ties keep index order.
            var packed = (0..<count).map { c -> (UInt64, Int32) in
                let hi = n >= 1 ? UInt64(keys[c * n]) : 0, lo = n == 2 ? UInt64(keys[c * n + 1]) : 0
                return (hi << 32 | lo, Int32(c))
            }
            packed.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
            return packed.map { Int($0.1) }
        }
        var order = Array(0..<count)
        keys.withUnsafeBufferPointer { k in
            order.sort { a, b in
                for t in 0..<n where k[a * n + t] != k[b * n + t] { return k[a * n + t] < k[b * n + t] }
                return a < b
            }
        }
        return order
    }

    /// Sorts each CSR row by column and sums duplicate columns.
    static func sortRows(_ offsets: [Int], _ columns: [Int32], _ counts: [Double]) -> ([Int], [Int32], [Double]) {
        var outOffsets = [0], outColumns = [Int32](), outCounts = [Double]()
        outOffsets.reserveCapacity(offsets.count); outColumns.reserveCapacity(columns.count); outCounts.reserveCapacity(counts.count)
        var scratch: [(Int32, Double)] = []
        for r in 0..<(offsets.count - 1) {
            scratch.removeAll(keepingCapacity: true)
            for e in offsets[r]..<offsets[r + 1] { scratch.append((columns[e], counts[e])) }
            if scratch.count > 1 { scratch.sort { $0.0 < $1.0 } }
            for (c, v) in scratch {
                if let last = outColumns.last, outColumns.count > outOffsets[r], last == c { outCounts[outCounts.count - 1] += v }
                else { outColumns.append(c); outCounts.append(v) }
            }
            outOffsets.append(outColumns.count)
        }
        return (outOffsets, outColumns, outCounts)
    }
}
