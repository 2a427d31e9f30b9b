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

/// `m` random rows over `V` tokens for the small instances the LP cross-checks draw: each row a
/// support of 1–3 tokens drawn by `rng` (a token drawn twice is kept once, with its later count),
/// each with the count `count` draws.
public func randomRows<G: RandomNumberGenerator>(V: Int, m: Int, using rng: inout G,
                                                 count: (inout G) -> Double) -> [[Int: Double]] {
    (0..<m).map { _ in
        var row: [Int: Double] = [:]
        let k = 1 + Int(rng.next() % 3)
        while row.count < k {
            let token = Int(rng.next() % UInt64(V))
            row[token] = count(&rng)
        }
        return row
    }
}
