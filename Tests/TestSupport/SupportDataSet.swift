import NTPFormats

/// The one "data set from supports" builder of the tests: row j holds the tokens of `rows[j]` with
/// their counts (sorted by token), over `V` tokens; optional context token ids for positional features.
public func makeData(V: Int, rows: [[Int: Double]], contexts: [Int32]? = nil, contextLength: Int = 0) -> DataSet {
    var offsets = [0], columns: [Int32] = [], counts: [Double] = []
    for row in rows {
        for (c, x) in row.sorted(by: { $0.key < $1.key }) { columns.append(Int32(c)); counts.append(x) }
        offsets.append(columns.count)
    }
    return DataSet(contextCount: rows.count, vocabularySize: V, rowOffsets: offsets, columns: columns,
                   counts: counts, contexts: contexts, contextLength: contextLength)
}

/// `makeData` with rows as (token, count) pairs.
public func makeDataSet(v: Int, rows: [[(Int, Double)]]) -> DataSet {
    makeData(V: v, rows: rows.map { Dictionary($0, uniquingKeysWith: +) })
}

extension DataSet {
    /// `makeData` with every count 1 unless `counts` gives them (aligned with `supports`).
    public static func fromSupports(_ supports: [[Int]], vocabulary: Int, counts: [[Double]]? = nil) -> DataSet {
        let counts = counts ?? supports.map { $0.map { _ in 1 } }
        return makeData(V: vocabulary, rows: zip(supports, counts).map { Dictionary(zip($0, $1), uniquingKeysWith: +) })
    }
}
