extension DataSet {
    /// The data set of a shorter context: each context keeps its last `length` tokens and the
    /// rows that then coincide are summed. With `<s>` padding this equals ingesting the corpus
    /// at order `length + 1` exactly. Rows stay sorted lexicographically by context ids.
    public func marginalized(toContextLength length: Int) throws -> DataSet {
        guard length <= contextLength, length >= 0 else {
            throw DataSetError.invalid("cannot shorten contexts of length \(contextLength) to \(length)")
        }
        if length == contextLength { return self }
        guard let ctx = contexts else {
            throw DataSetError.invalid("the data set has no 'contexts' array, so shorter contexts cannot be derived")
        }
        let n = contextLength, drop = n - length
        // Sort rows by their suffix, then merge equal suffixes.
        var order = Array(0..<contextCount)
        ctx.withUnsafeBufferPointer { k in
            order.sort { a, b in
                for t in drop..<n where k[a * n + t] != k[b * n + t] { return k[a * n + t] < k[b * n + t] }
                return a < b
            }
        }
        var newOffsets = [0], columns: [Int32] = [], counts: [Double] = [], newContexts: [Int32] = []
        var accumulator = [Double](repeating: 0, count: vocabularySize)
        var touched: [Int32] = []
        var i = 0
        while i < order.count {
            var j = i
            let first = order[i]
            while j < order.count && (drop..<n).allSatisfy({ ctx[order[j] * n + $0] == ctx[first * n + $0] }) {
                let r = order[j]
                for e in self.rowOffsets[r]..<self.rowOffsets[r + 1] {
                    let c = Int(self.columns[e])
                    if accumulator[c] == 0 { touched.append(Int32(c)) }
                    accumulator[c] += self.counts[e]
                }
                j += 1
            }
            touched.sort()
            for c in touched { columns.append(c); counts.append(accumulator[Int(c)]); accumulator[Int(c)] = 0 }
            touched.removeAll(keepingCapacity: true)
            newOffsets.append(columns.count)
            newContexts.append(contentsOf: ctx[(first * n + drop)..<(first * n + n)])
            i = j
        }
        return DataSet(contextCount: newOffsets.count - 1, vocabularySize: vocabularySize, rowOffsets: newOffsets,
                       columns: columns, counts: counts, vocabulary: vocabulary, contexts: newContexts,
                       contextLength: length, optionsJSON: optionsJSON)
    }
}
