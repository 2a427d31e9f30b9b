import Foundation
import NTPCorpus
import NTPFormats

/// `ntpsep stats`: corpus statistics of a data set, or of corpus files counted with the ingest options.
public struct CorpusSummary {
    /// A data set (.npz), or corpus files, folders or "-".
    var inputs: [String]
    /// How corpus files are counted (not used for a data set).
    var options: IngestOptions
    var progress: Bool?
    /// The per-context-length table's orders (empty: none).
    var orders: [Int]
    /// How many of the largest supports to list.
    var top: Int

    /// Statistics of `inputs`.
    public init(inputs: [String], options: IngestOptions, progress: Bool?, orders: [Int], top: Int) {
        self.inputs = inputs; self.options = options; self.progress = progress; self.orders = orders; self.top = top
    }

    /// Counts (or reads) the data and computes the statistics.
    public func run() throws -> StatisticsOutcome {
        let data = try loadDataSet(inputs, options: options, progress: progress, minimumOrder: orders.max())
        if !orders.isEmpty, data.contexts == nil {
            throw UserError("\(inputs[0]): \(CorpusStatistics.noContextsForOrders)")
        }
        if let o = orders.max(), o > data.contextLength + 1 {
            throw UserError("--orders asks for order \(o) but \(inputs[0]) has order \(data.contextLength + 1)")
        }
        return StatisticsOutcome(statistics: try CorpusStatistics(data, largest: top, orders: orders))
    }
}

/// What `stats` prints: the table, or as JSON the `CorpusStatistics` itself.
public struct StatisticsOutcome: CommandReport {
    /// The statistics (analysis.json's `statistics` has the same keys).
    var statistics: CorpusStatistics

    public static let jsonKeys = "events, contexts, vocabulary, entropy in nats, …"

    public var text: String { StatisticsOutcome.render(statistics) }

    public func encode(to encoder: Encoder) throws { try statistics.encode(to: encoder) }

    static func render(_ s: CorpusStatistics) -> String {
        var lines: [String] = []
        func row(_ k: String, _ v: String) { lines.append(k.padded(15) + " " + v) }
        row("events", "n = \(countText(s.events))")
        row("contexts", "m = \(grouped(s.contexts)) distinct (\(s.orderText))")
        row("vocabulary", "V = \(grouped(s.vocabulary))")
        row("entropy 𝓗", "\(fixed(s.entropy, 4)) nats/token = \(fixed(s.entropyBits, 4)) bits/token")
        let q = s.supportQuantiles
        row("support k_j", "mean \(fixed(s.meanSupport, 3)); min \(q["min"]!), p25 \(q["p25"]!), median \(q["p50"]!), p75 \(q["p75"]!), p90 \(q["p90"]!), p99 \(q["p99"]!), max \(q["max"]!)")
        row("k_j = 1", "\(fixed(100 * s.singleSupportContextShare, 1))% of contexts, \(fixed(100 * s.singleSupportEventShare, 1))% of events")
        let sizes = s.supportHistogram.keys.compactMap(Int.init).sorted()
        let shown = sizes.prefix(8).map { "\($0): \(grouped(s.supportHistogram[String($0)]!))" }
        let rest = sizes.dropFirst(8).reduce(0) { $0 + s.supportHistogram[String($1)]! }
        row("histogram", shown.joined(separator: "  ") + (rest > 0 ? "  >\(sizes[7]): \(grouped(rest))" : ""))
        if !s.largestSupports.isEmpty {
            // Counts may be fractional (scipy files of weights) or as large as 10¹²: the column fits them.
            let counts = s.largestSupports.map { countText($0.count) }
            let width = max(10, (counts.map(\.count).max() ?? 0) + 2)
            lines.append("largest supports:")
            lines.append("  " + "k".padded(7, .right) + "count".padded(width, .right) + "  context")
            for (t, count) in zip(s.largestSupports, counts) {
                lines.append("  " + String(t.support).padded(7, .right) + count.padded(width, .right) + "  " + t.context)
            }
        }
        if let rows = s.orders {
            lines.append("by context length:")
            lines.append("  " + "order".padded(5, .right) + "contexts".padded(14, .right) + "mean k".padded(14, .right) + "𝓗 nats".padded(10, .right) + "𝓗 bits".padded(10, .right)
                         + "k=1 ctx".padded(9, .right) + "k=1 ev".padded(8, .right))
            for r in rows {
                lines.append("  " + String(r.order).padded(5, .right) + grouped(r.contexts).padded(14, .right) + fixed(r.meanSupport, 3).padded(14, .right)
                             + fixed(r.entropy, 4).padded(10, .right) + fixed(r.entropyBits, 4).padded(10, .right)
                             + (fixed(100 * r.singleSupportContextShare, 1) + "%").padded(9, .right)
                             + (fixed(100 * r.singleSupportEventShare, 1) + "%").padded(8, .right))
            }
            if s.ordersExact == false, let order = s.order {
                lines.append("  (orders below \(order) are marginals of the order-\(order) counts: without <s> padding (--boundary none,")
                lines.append("  or no options recorded) they miss the first events of each sequence; ingest at that order to count them)")
            }
        }
        return lines.joined(separator: "\n")
    }
}

/// A count as `stats` prints it: grouped digits when it is a whole number below 2⁵³, else %.6g
/// (data sets of weights hold fractional counts).
func countText(_ x: Double) -> String {
    x == x.rounded() && abs(x) < 9_007_199_254_740_992 ? grouped(Int(x)) : general(x, 6)
}

/// "1-6" -> [1, …, 6]; "1,2,4" -> [1, 2, 4].
public func parseOrderList(_ text: String) throws -> [Int] {
    var result: [Int] = []
    for part in text.split(separator: ",") {
        let bounds = part.split(separator: "-", omittingEmptySubsequences: false)
        if bounds.count == 2, let a = Int(bounds[0]), let b = Int(bounds[1]), a >= 1, a <= b {
            result.append(contentsOf: a...b)
        } else if bounds.count == 1, let a = Int(bounds[0]), a >= 1 {
            result.append(a)
        } else {
            throw UserError("cannot read order list '\(text)': use e.g. 1-6 or 1,2,4")
        }
    }
    return Array(Set(result)).sorted()
}

/// A data set from one .npz file, or by ingesting corpus files (at `minimumOrder` if larger than --order).
func loadDataSet(_ inputs: [String], options: IngestOptions, progress: Bool?, minimumOrder: Int? = nil) throws -> DataSet {
    if inputs.count == 1, isDataSetArchive(inputs[0]) {
        // A data set is already counted: an ingest option given with it would be ignored (QA round 8:
        // `stats DATA.npz --order 5 --max-vocab 5` printed the file's order 3 and V = 9,052).
        guard options == IngestOptions() else {
            throw UserError("\(inputs[0]) is a data set (.npz), already counted: the ingest options (--order, --tokenizer, --max-vocab, …) apply to corpus files only; run stats on the corpus with them, or ingest it again")
        }
        return try DataSet(contentsOfNPZ: inputs[0])
    }
    var options = options
    if let o = minimumOrder, o > options.order { options.order = o }
    return try CorpusIngest.dataSet(inputs, options: options, progress: progress, notes: true)
}

/// True for a .npz name or a file starting with a zip signature.
func isDataSetArchive(_ path: String) -> Bool {
    if path.hasSuffix(".npz") { return true }
    guard let f = fopen(path, "rb") else { return false }
    defer { fclose(f) }
    var magic = [UInt8](repeating: 0, count: 4)
    return fread(&magic, 1, 4, f) == 4 && magic == [0x50, 0x4B, 0x03, 0x04]
}
