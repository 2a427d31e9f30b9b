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
        let oldCount = interner.count
        // Which ids occur at all (as a token or inside a context).
        var used = interner.occurrences.map { $0 > 0 }
        counter.forEachPair { c, tok, _ in
            used[Int(tok)] = true
            for id in counter.context(c) { used[Int(id)] = true }
        }
        // Ordinary tokens, most frequent first; those past the limits become <unk>.
        var ordinary = (TokenInterner.specials.count..<oldCount).filter { used[$0] }
        let bytes = (0..<oldCount).map { Array(interner.bytes(of: $0)) }
        ordinary.sort { a, b in
            let ca = interner.occurrences[a], cb = interner.occurrences[b]
            return ca != cb ? ca > cb : bytes[a].lexicographicallyPrecedes(bytes[b])
        }
        var kept = ordinary.filter { interner.occurrences[$0] >= Int64(minCount) }
        if let k = maxVocabulary, kept.count > k { kept.removeLast(kept.count - k) }
        let mapsToUnknown = kept.count < ordinary.count
        if mapsToUnknown { used[Int(TokenInterner.unknown)] = true }
        var newID = [UInt32](repeating: TokenInterner.unknown, count: oldCount)
        var vocabulary: [String] = []
        for s in 0..<TokenInterner.specials.count where used[s] {
            newID[s] = UInt32(vocabulary.count); vocabulary.append(TokenInterner.specials[s])
        }
        let unknownID = newID[Int(TokenInterner.unknown)]
        for old in ordinary { newID[old] = unknownID }
        for old in kept { newID[old] = UInt32(vocabulary.count); vocabulary.append(interner.string(of: old)) }

        // Re-count under the final ids (contexts that now coincide merge).
        var merged = ContextCounter(contextLength: n)
        let window = UnsafeMutablePointer<UInt32>.allocate(capacity: max(n, 1))
        defer { window.deallocate() }
        counter.forEachPair { c, tok, count in
            for (t, id) in counter.context(c).enumerated() { window[t] = newID[Int(id)] }
            merged.add(context: window, token: newID[Int(tok)], count: count)
        }
        // Sort contexts lexicographically.
        let m = merged.contextCount
        var order = Array(0..<m)
        if n > 0 {
            var keys = [UInt32](repeating: 0, count: m * n)
            for c in 0..<m { for (t, id) in merged.context(c).enumerated() { keys[c * n + t] = id } }
            keys.withUnsafeBufferPointer { k in
                order.sort { a, b in
                    for t in 0..<n where k[a * n + t] != k[b * n + t] { return k[a * n + t] < k[b * n + t] }
                    return false
                }
            }
        }
        var rank = [Int](repeating: 0, count: m)
        for (r, c) in order.enumerated() { rank[c] = r }
        // CSR by counting sort on rows, then sort each row by column.
        var rowOffsets = [Int](repeating: 0, count: m + 1)
        merged.forEachPair { c, _, _ in rowOffsets[rank[c] + 1] += 1 }
        for r in 0..<m { rowOffsets[r + 1] += rowOffsets[r] }
        var next = rowOffsets
        let nnz = rowOffsets[m]
        var columns = [Int32](repeating: 0, count: nnz)
        var counts = [Double](repeating: 0, count: nnz)
        merged.forEachPair { c, tok, count in
            let r = rank[c]
            columns[next[r]] = Int32(tok); counts[next[r]] = Double(count); next[r] += 1
        }
        for r in 0..<m where rowOffsets[r + 1] - rowOffsets[r] > 1 {
            let range = rowOffsets[r]..<rowOffsets[r + 1]
            let row = zip(columns[range], counts[range]).sorted { $0.0 < $1.0 }
            for (i, e) in row.enumerated() { columns[range.lowerBound + i] = e.0; counts[range.lowerBound + i] = e.1 }
        }
        var contexts = [Int32](repeating: 0, count: m * n)
        for c in 0..<m { for (t, id) in merged.context(c).enumerated() { contexts[rank[c] * n + t] = Int32(id) } }
        return DataSet(contextCount: m, vocabularySize: vocabulary.count, rowOffsets: rowOffsets, columns: columns,
                       counts: counts, vocabulary: vocabulary, contexts: contexts, contextLength: n,
                       optionsJSON: optionsJSON)
    }
}
