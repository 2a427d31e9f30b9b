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
        let counter = sequences.counter
        let n = counter.contextLength
        let (newID, vocabulary) = finalTokenIDs(interner: interner, counter: counter,
                                                maxVocabulary: maxVocabulary, minCount: minCount)
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
    static func finalTokenIDs(interner: TokenInterner, counter: ContextCounter, maxVocabulary: Int?, minCount: Int) -> ([UInt32], [String]) {
        let oldCount = interner.count
        var used = interner.occurrences.map { $0 > 0 }
        for c in 0..<counter.contextCount { for id in counter.context(c) { used[Int(id)] = true } }
        counter.forEachPair { _, tok, _ in used[Int(tok)] = true }
        var ordinary = (TokenInterner.specials.count..<oldCount).filter { used[$0] }
        let occurrences = interner.occurrences
        ordinary.sort { a, b in
            let ca = occurrences[a], cb = occurrences[b]
            return ca != cb ? ca > cb : interner.bytes(of: a).lexicographicallyPrecedes(interner.bytes(of: b))
        }
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
