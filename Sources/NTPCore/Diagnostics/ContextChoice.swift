import Foundation
import NTPFormats

/// How a dimension sweep (or a check) picks m contexts from a data set.
///
/// Every choice is a ranking of the eligible contexts; m contexts are the first m of the ranking,
/// so the sets for several m are nested (the 100 contexts are among the 200). The chosen rows keep
/// their original order in the selected data set.
public enum ContextChoice: String, CaseIterable, Codable, Sendable {
    /// The m contexts with the largest counts (ties by row): where the text's mass is. Deterministic.
    case mostFrequent = "most-frequent"
    /// A seeded draw without replacement with probability ∝ the context's count (successive
    /// sampling, Efraimidis–Spirakis keys).
    case randomEvents = "random-events"
    /// A seeded uniform draw without replacement (partial Fisher–Yates, the same draw as
    /// `DataSetSampling.subsample`, so `check --max-contexts m --seed S` selects the same contexts).
    case randomContexts = "random-contexts"
}

extension DataSetSampling {
    /// The rows of `data` with total count ≥ `minContextCount`, ranked by `choice` (at most `limit`
    /// of them: the first `limit` of the full ranking).
    public static func rankedContexts(_ data: DataSet, choice: ContextChoice, limit: Int? = nil,
                                      minContextCount: Double = 0, seed: UInt64 = 0) -> [Int] {
        var rows = (0..<data.contextCount).filter { data.rowTotal($0) >= minContextCount }
        let cap = min(limit ?? rows.count, rows.count)
        switch choice {
        case .mostFrequent:
            let totals = rows.map(data.rowTotal)
            let order = rows.indices.sorted { totals[$0] != totals[$1] ? totals[$0] > totals[$1] : rows[$0] < rows[$1] }
            return order.prefix(cap).map { rows[$0] }
        case .randomContexts:
            // Step i of Fisher–Yates does not depend on the cap, so prefixes are nested.
            var rng = SeededGenerator(seed: seed)
            for i in 0..<cap { rows.swapAt(i, i + Int(rng.next() % UInt64(rows.count - i))) }
            return Array(rows[0..<cap])
        case .randomEvents:
            // Key E_j / c_j with E_j ~ Exp(1): sorting by increasing key is successive sampling ∝ c_j.
            var rng = SeededGenerator(seed: seed)
            let keys = rows.map { j -> Double in
                let u = 1 - rng.nextUniform()          // (0, 1]
                return -Foundation.log(u) / data.rowTotal(j)
            }
            let order = rows.indices.sorted { keys[$0] != keys[$1] ? keys[$0] < keys[$1] : rows[$0] < rows[$1] }
            return order.prefix(cap).map { rows[$0] }
        }
    }

    /// The first `count` contexts of `rankedContexts`, as a data set in original row order, with
    /// their original row indices.
    public static func choose(_ data: DataSet, count: Int, choice: ContextChoice, minContextCount: Double = 0,
                              seed: UInt64 = 0) -> (data: DataSet, rows: [Int]) {
        let rows = rankedContexts(data, choice: choice, limit: count, minContextCount: minContextCount, seed: seed).sorted()
        return (select(data, rows: rows), rows)
    }
}
