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
        let oldCount = interner.count
        let occurrences = interner.occurrences
        // Every token of the text was counted when interned; padding adds <s> (in contexts) and </s>.
        var used = occurrences.map { $0 > 0 }
        if sequences.padded && sequences.sequenceCount > 0 {
            used[Int(TokenInterner.sentenceEnd)] = true
            if sequences.contextLength > 0 { used[Int(TokenInterner.sentenceStart)] = true }
        }
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
        for old in kept { newID[old] = UInt32(vocabulary.count); vocabulary.append(interner.string(of: old)) }
        return (newID, vocabulary)
    }

    /// The packed path: remap every n-gram key, radix-sort, and read rows off the sorted keys
    /// (keys that now coincide through `<unk>` are adjacent and summed).
    static func buildPacked(_ table: NGramRuns, sequences: SequenceCounter, newID: [UInt32], vocabulary: [String],
                            optionsJSON: String) -> DataSet {
        let n = sequences.contextLength, bits = UInt64(sequences.bits)
        var keys = [UInt64](), values = [Int64]()
        table.flush()
        keys.reserveCapacity(table.keys.count); values.reserveCapacity(table.keys.count)
        let ids = UnsafeMutablePointer<UInt32>.allocate(capacity: n + 1)
        defer { ids.deallocate() }
        table.forEach { key, count in
            sequences.unpackKey(key, into: ids)
            var packed: UInt64 = 0
            for t in 0...n { packed = (packed << bits) | UInt64(newID[Int(ids[t])]) }
            keys.append(n == 0 ? UInt64(newID[Int(ids[0])]) : packed)
            values.append(count)
        }
        radixSort(&keys, &values)
        let tokenMask: UInt64 = bits >= 32 ? 0xFFFF_FFFF : (1 << bits) - 1
        var rowOffsets = [0], columns = [Int32](), counts = [Double](), contexts = [Int32]()
        columns.reserveCapacity(keys.count); counts.reserveCapacity(keys.count)
        var previousKey = UInt64.max, previousContext = UInt64.max
        for i in 0..<keys.count {
            let key = keys[i]
            if key == previousKey { counts[counts.count - 1] += Double(values[i]); continue }
            let context = n == 0 ? 0 : key >> bits
            if context != previousContext || i == 0 {
                if i > 0 { rowOffsets.append(columns.count) }
                sequences.unpackKey(key, into: ids)
                for t in 0..<n { contexts.append(Int32(ids[t])) }
                previousContext = context
            }
            columns.append(Int32(truncatingIfNeeded: key & tokenMask))
            counts.append(Double(values[i]))
            previousKey = key
        }
        if !keys.isEmpty { rowOffsets.append(columns.count) }
        return DataSet(contextCount: rowOffsets.count - 1, vocabularySize: vocabulary.count, rowOffsets: rowOffsets,
                       columns: columns, counts: counts, vocabulary: vocabulary, contexts: contexts, contextLength: n,
                       optionsJSON: optionsJSON)
    }

    /// Ids by decreasing count, ties by their bytes. Sorting on (count, first 8 bytes) packed in
    /// integers first keeps the comparisons cheap; only ties on both compare whole tokens.
    static func tokensByFrequency(_ ids: [Int], occurrences: [Int64], interner: TokenInterner) -> [Int] {
        var keyed = ids.map { id -> (UInt64, UInt64, Int32) in
            let b = interner.bytes(of: id)
            var prefix: UInt64 = 0
            for t in 0..<8 { prefix = prefix << 8 | UInt64(t < b.count ? b[t] : 0) }
            return (UInt64(bitPattern: Int64.max - occurrences[id]), prefix, Int32(id))
        }
        keyed.sort { a, b in
            if a.0 != b.0 { return a.0 < b.0 }
            if a.1 != b.1 { return a.1 < b.1 }
            return interner.bytes(of: Int(a.2)).lexicographicallyPrecedes(interner.bytes(of: Int(b.2)))
        }
        return keyed.map { Int($0.2) }
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
