import NTPFormats

/// The null models a sweep compares the real supports with. Both keep m, V, every context's support
/// size k_j and its counts (the largest count goes to the first token drawn, the next to the second,
/// and so on), and the context embeddings; only which tokens form each support is redrawn.
public enum NullModel: String, CaseIterable, Codable, Sendable {
    /// Each support is a uniformly random k_j-subset of the vocabulary (`randomSupports`).
    case uniform
    /// Each support is drawn without replacement with probability ∝ the token's total count in the
    /// real data (successive sampling), so frequent tokens stay frequent (real supports are Zipfian).
    case frequency

    /// The null data set for `data` drawn with `seed`.
    public func sample(_ data: DataSet, seed: UInt64) -> DataSet {
        switch self {
        case .uniform: return DataSetSampling.randomSupports(data, seed: seed)
        case .frequency: return DataSetSampling.frequencySupports(data, seed: seed)
        }
    }
}

extension DataSetSampling {
    /// Null model `frequency`: context j's support is k_j tokens drawn one at a time without
    /// replacement, each with probability ∝ its total count Σ_j N_{j,v} in `data` among the tokens
    /// not drawn yet. The row's counts, sorted decreasingly, go to the tokens in draw order.
    public static func frequencySupports(_ data: DataSet, seed: UInt64) -> DataSet {
        var rng = SeededGenerator(seed: seed)
        let V = data.vocabularySize
        var weights = [Double](repeating: 0, count: V)
        for e in 0..<data.columns.count { weights[Int(data.columns[e])] += data.counts[e] }
        var tree = FenwickSampler(weights: weights)
        var columns: [Int32] = [], counts: [Double] = []
        columns.reserveCapacity(data.columns.count); counts.reserveCapacity(data.counts.count)
        for j in 0..<data.contextCount {
            let range = data.rowOffsets[j]..<data.rowOffsets[j + 1]
            let sortedCounts = data.counts[range].sorted(by: >)
            var drawn: [Int] = []
            for _ in range {
                let v = tree.draw(uniform: rng.nextUniform())
                drawn.append(v)
                tree.set(v, to: 0)
            }
            // Rebuilt rather than restored entry by entry: subtract-then-add in floating point need
            // not give the same partial sums back, and the draws must not drift across contexts.
            if !drawn.isEmpty { tree = FenwickSampler(weights: weights) }
            let row = zip(drawn, sortedCounts).map { (Int32($0.0), $0.1) }.sorted { $0.0 < $1.0 }
            for (c, x) in row { columns.append(c); counts.append(x) }
        }
        return DataSet(contextCount: data.contextCount, vocabularySize: V, rowOffsets: data.rowOffsets,
                       columns: columns, counts: counts, vocabulary: data.vocabulary, contexts: data.contexts,
                       contextLength: data.contextLength, optionsJSON: data.optionsJSON)
    }
}

/// Draws an index with probability ∝ its weight in O(log n), with weights changeable in O(log n)
/// (a Fenwick tree of partial sums).
struct FenwickSampler {
    private var tree: [Double]
    private var weights: [Double]
    private let top: Int

    init(weights: [Double]) {
        self.weights = weights
        tree = [Double](repeating: 0, count: weights.count + 1)
        for i in 0..<weights.count {
            var k = i + 1
            while k <= weights.count { tree[k] += weights[i]; k += k & -k }
        }
        var t = 1
        while t * 2 <= weights.count { t *= 2 }
        top = weights.isEmpty ? 0 : t
    }

    /// Σ of all weights.
    var total: Double {
        var s = 0.0, k = weights.count
        while k > 0 { s += tree[k]; k -= k & -k }
        return s
    }

    mutating func set(_ i: Int, to w: Double) {
        let delta = w - weights[i]
        weights[i] = w
        var k = i + 1
        while k <= weights.count { tree[k] += delta; k += k & -k }
    }

    /// The index i with prefix(i) ≤ u·total < prefix(i + 1), skipping zero weights.
    func draw(uniform u: Double) -> Int {
        var target = u * total, pos = 0, step = top
        while step > 0 {
            let next = pos + step
            if next <= weights.count && tree[next] <= target { pos = next; target -= tree[next] }
            step /= 2
        }
        // pos is the count of leading entries whose sum ≤ target; round-off can land on a zero weight.
        var i = min(pos, weights.count - 1)
        while i < weights.count - 1 && weights[i] == 0 { i += 1 }
        while weights[i] == 0 && i > 0 { i -= 1 }
        return i
    }
}
