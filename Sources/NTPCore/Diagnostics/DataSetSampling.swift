import NTPFormats

/// Row selections of a data set that keep `vocabulary`, `contexts` and V consistent.
public enum DataSetSampling {
    /// The data set restricted to the given rows, in the given order (V and the vocabulary unchanged;
    /// `contexts` sliced row by row).
    public static func select(_ data: DataSet, rows: [Int]) -> DataSet {
        var offsets = [0], columns: [Int32] = [], counts: [Double] = []
        var contexts: [Int32]? = data.contexts == nil ? nil : []
        let r = data.contextLength
        for j in rows {
            let range = data.rowOffsets[j]..<data.rowOffsets[j + 1]
            columns.append(contentsOf: data.columns[range])
            counts.append(contentsOf: data.counts[range])
            offsets.append(columns.count)
            if let c = data.contexts { contexts!.append(contentsOf: c[(j * r)..<((j + 1) * r)]) }
        }
        return DataSet(contextCount: rows.count, vocabularySize: data.vocabularySize, rowOffsets: offsets,
                       columns: columns, counts: counts, vocabulary: data.vocabulary, contexts: contexts,
                       contextLength: data.contextLength, optionsJSON: data.optionsJSON)
    }

    /// Keeps the contexts whose total count is ≥ `minContextCount`; if more than `maxContexts`
    /// remain, keeps a uniformly random subset of that size drawn with `seed` (partial
    /// Fisher–Yates). Kept rows stay in their original order. Returns the new data set and, for each
    /// new row, its index in `data`.
    public static func subsample(_ data: DataSet, maxContexts: Int? = nil, minContextCount: Double = 0,
                                 seed: UInt64 = 0) -> (data: DataSet, rows: [Int]) {
        var rows = (0..<data.contextCount).filter { data.rowTotal($0) >= minContextCount }
        if let cap = maxContexts, rows.count > cap {
            var rng = SeededGenerator(seed: seed)
            for i in 0..<cap {
                let k = i + Int(rng.next() % UInt64(rows.count - i))
                rows.swapAt(i, k)
            }
            rows = Array(rows[0..<max(cap, 0)]).sorted()
        }
        return (select(data, rows: rows), rows)
    }

    /// Null model: the same m, V and per-context count multisets, but each context's support is a
    /// uniformly random k_j-subset of the vocabulary. The context's counts, sorted in decreasing
    /// order, go to the drawn tokens in draw order (so the support-size histogram and every row's
    /// count profile are preserved exactly). `contexts`/`vocabulary` are kept as they are.
    public static func randomSupports(_ data: DataSet, seed: UInt64) -> DataSet {
        var rng = SeededGenerator(seed: seed)
        let V = data.vocabularySize
        var perm = Array(0..<V)
        var columns: [Int32] = [], counts: [Double] = []
        columns.reserveCapacity(data.columns.count); counts.reserveCapacity(data.counts.count)
        for j in 0..<data.contextCount {
            let range = data.rowOffsets[j]..<data.rowOffsets[j + 1]
            let k = range.count
            let sortedCounts = data.counts[range].sorted(by: >)
            for i in 0..<k { perm.swapAt(i, i + Int(rng.next() % UInt64(V - i))) }
            let row = (0..<k).map { (Int32(perm[$0]), sortedCounts[$0]) }.sorted { $0.0 < $1.0 }
            for (c, x) in row { columns.append(c); counts.append(x) }
        }
        return DataSet(contextCount: data.contextCount, vocabularySize: V, rowOffsets: data.rowOffsets,
                       columns: columns, counts: counts, vocabulary: data.vocabulary, contexts: data.contexts,
                       contextLength: data.contextLength, optionsJSON: data.optionsJSON)
    }
}

/// Synthetic text-like data sets for benchmarks and tests.
public enum SyntheticText {
    /// Counts the order-(contextLength+1) contexts of a token stream of `length` tokens over V
    /// tokens drawn from a Zipfian (exponent `exponent`) Markov chain: after token u, the next
    /// token is Zipf-distributed over a fixed random permutation of the vocabulary that depends on u,
    /// mixed half-and-half with a global Zipf order (frequent tokens stay frequent everywhere).
    /// Contexts are listed in order of first appearance, `contexts` holds their token ids.
    public static func zipfianMarkov(vocabularySize V: Int, length: Int, contextLength: Int = 2,
                                     exponent: Double = 1.1, seed: UInt64 = 0) -> DataSet {
        var rng = SeededGenerator(seed: seed)
        var cdf = [Double](repeating: 0, count: V)
        var acc = 0.0
        for r in 0..<V { acc += 1 / pow(Double(r + 1), exponent); cdf[r] = acc }
        for r in 0..<V { cdf[r] /= acc }
        func zipfRank() -> Int {
            let u = rng.nextUniform()
            var lo = 0, hi = V - 1
            while lo < hi { let mid = (lo + hi) / 2; if cdf[mid] < u { lo = mid + 1 } else { hi = mid } }
            return lo
        }
        var perms: [[Int]] = []
        for _ in 0..<V {
            var p = Array(0..<V)
            for i in stride(from: V - 1, to: 0, by: -1) { p.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
            perms.append(p)
        }
        var stream = [Int](repeating: 0, count: length)
        for i in 0..<length {
            let prev = i > 0 ? stream[i - 1] : 0
            stream[i] = rng.nextUniform() < 0.5 ? zipfRank() : perms[prev][zipfRank()]
        }
        var index: [[Int]: Int] = [:]
        var rowsCounts: [[Int: Double]] = []
        var contexts: [Int32] = []
        if length > contextLength {
            for i in contextLength..<length {
                let key = Array(stream[(i - contextLength)..<i])
                let j: Int
                if let found = index[key] { j = found } else {
                    j = rowsCounts.count; index[key] = j; rowsCounts.append([:])
                    contexts.append(contentsOf: key.map { Int32($0) })
                }
                rowsCounts[j][stream[i], default: 0] += 1
            }
        }
        var offsets = [0], columns: [Int32] = [], counts: [Double] = []
        for row in rowsCounts {
            for (c, x) in row.sorted(by: { $0.key < $1.key }) { columns.append(Int32(c)); counts.append(x) }
            offsets.append(columns.count)
        }
        return DataSet(contextCount: rowsCounts.count, vocabularySize: V, rowOffsets: offsets, columns: columns,
                       counts: counts, vocabulary: (0..<V).map { "w\($0)" }, contexts: contexts,
                       contextLength: contextLength)
    }
}

#if canImport(Glibc)
import Glibc
#endif
