import NTPFormats

/// The tokens that a sparse W and the supports touch, renumbered 0..<count in increasing order, for
/// when V-sized arrays would cost more than the nonzeros: a data set may declare V = 2³¹ − 1 with a
/// handful of nonzeros, and the per-context logits and marks of `SeparatingCertificate` then cost
/// O(nonzeros) instead of 18 bytes × V. The order is kept, so the smallest token of a support
/// (its anchor) is still the first.
struct CompactTokens {
    /// Distinct tokens touched.
    let count: Int
    /// `data.columns`, renumbered.
    let supportTokens: [Int32]
    /// W with its rows renumbered (`count` rows).
    let decoder: SparseDecoder

    /// Nil when V is within a small multiple of the nonzeros: V-sized arrays are then cheaper to index.
    init?(_ data: DataSet, _ w: SparseDecoder) {
        guard data.vocabularySize > 4 * (data.columns.count + w.rowIndices.count) + (1 << 16) else { return nil }
        let used = Set(data.columns).union(w.rowIndices).sorted()
        var index: [Int32: Int32] = [:]
        index.reserveCapacity(used.count)
        for (i, t) in used.enumerated() { index[t] = Int32(i) }
        count = used.count
        supportTokens = data.columns.map { index[$0]! }
        decoder = SparseDecoder(rows: used.count, columns: w.columns, columnOffsets: w.columnOffsets,
                                rowIndices: w.rowIndices.map { index[$0]! }, values: w.values)
    }
}
