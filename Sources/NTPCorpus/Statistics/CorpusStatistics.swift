import Foundation
import NTPFormats

/// The numbers `ntpsep stats` reports about a data set.
public struct CorpusStatistics: Codable, Equatable {
    /// One row of the per-context-length table.
    public struct OrderRow: Codable, Equatable {
        public var order: Int
        public var contexts: Int
        public var entropy: Double
        public var entropyBits: Double
        public var meanSupport: Double
        /// Share of contexts with a single next token, and of the events that follow them.
        public var singleSupportContextShare: Double
        public var singleSupportEventShare: Double
        enum CodingKeys: String, CodingKey {
            case order, contexts, entropy, entropyBits = "entropy_bits", meanSupport = "mean_support"
            case singleSupportContextShare = "single_support_context_share", singleSupportEventShare = "single_support_event_share"
        }
    }
    /// A context with a large support.
    public struct Support: Codable, Equatable {
        public var context: String
        public var support: Int
        public var count: Double
    }

    public var events: Double
    public var contexts: Int
    public var vocabulary: Int
    /// N, or nil (absent from the JSON) when the file records no contexts: a plain scipy.sparse
    /// matrix has rows, not token contexts (QA round 9: it was called order 1).
    public var order: Int?
    /// 𝓗 in nats.
    public var entropy: Double
    public var entropyBits: Double
    public var meanSupport: Double
    /// Support size -> number of contexts.
    public var supportHistogram: [String: Int]
    /// min, 25%, 50%, 75%, 90%, 99%, max of k_j over contexts.
    public var supportQuantiles: [String: Int]
    public var singleSupportContextShare: Double
    public var singleSupportEventShare: Double
    public var largestSupports: [Support]
    public var orders: [OrderRow]?
    /// With `orders`: whether every row equals counting the corpus at that order directly. True when
    /// the data set's options record `<s>` padding (boundary line, sentence or document), or when only
    /// its own order is asked; false without padding (boundary none: a shorter context length misses
    /// the first events of every sequence) or when the file records no options.
    public var ordersExact: Bool?

    enum CodingKeys: String, CodingKey {
        case events, contexts, vocabulary, order, entropy, entropyBits = "entropy_bits", meanSupport = "mean_support"
        case supportHistogram = "support_histogram", supportQuantiles = "support_quantiles"
        case singleSupportContextShare = "single_support_context_share"
        case singleSupportEventShare = "single_support_event_share"
        case largestSupports = "largest_supports", orders, ordersExact = "orders_exact"
    }

    /// Why `--orders` cannot derive shorter contexts from a file without them.
    public static let noContextsForOrders = "--orders needs token contexts, and this data set has none (a plain scipy.sparse matrix: rows, not contexts); ingest the corpus with ntpsep"

    /// "order 3", or "order unknown" for a file without contexts.
    public var orderText: String { order.map { "order \($0)" } ?? "order unknown: no contexts in the file" }

    /// Computes the statistics; `orders` (each ≤ the data set's order) adds the per-order table.
    public init(_ d: DataSet, largest: Int = 10, orders requested: [Int] = []) throws {
        events = d.eventCount
        contexts = d.contextCount
        vocabulary = d.vocabularySize
        order = d.contexts == nil ? nil : d.contextLength + 1
        entropy = d.entropy()
        entropyBits = entropy / log(2.0)
        // Support sizes and row totals in one pass (millions of rows: raw buffers, no per-row calls).
        var k = [Int](repeating: 0, count: d.contextCount), totals = [Double](repeating: 0, count: d.contextCount)
        d.rowOffsets.withUnsafeBufferPointer { offsets in
            d.counts.withUnsafeBufferPointer { counts in
                k.withUnsafeMutableBufferPointer { k in
                    totals.withUnsafeMutableBufferPointer { totals in
                        for j in 0..<k.count {
                            k[j] = offsets[j + 1] - offsets[j]
                            var t = 0.0
                            for e in offsets[j]..<offsets[j + 1] { t += counts[e] }
                            totals[j] = t
                        }
                    }
                }
            }
        }
        meanSupport = Double(d.storedCount) / Double(max(d.contextCount, 1))
        // Support sizes are at most V: count them in an array (millions of contexts, no sort).
        var bySize = [Int](repeating: 0, count: (k.max() ?? 0) + 1)
        for s in k { bySize[s] += 1 }
        var histogram: [String: Int] = [:]
        for (size, n) in bySize.enumerated() where n > 0 { histogram[String(size)] = n }
        supportHistogram = histogram
        func quantile(_ q: Double) -> Int {
            guard !k.isEmpty else { return 0 }
            let rank = min(k.count - 1, Int((q * Double(k.count - 1)).rounded(.down)))
            var seen = 0
            for (size, n) in bySize.enumerated() { seen += n; if seen > rank { return size } }
            return bySize.count - 1
        }
        supportQuantiles = ["min": quantile(0), "p25": quantile(0.25), "p50": quantile(0.5), "p75": quantile(0.75),
                            "p90": quantile(0.9), "p99": quantile(0.99), "max": quantile(1)]
        (singleSupportContextShare, singleSupportEventShare) = Self.singleSupportShares(d, events: events)
        // Top `largest` by (support desc, count desc, index asc) without sorting every context.
        var top: [Int] = []
        k.withUnsafeBufferPointer { k in
            totals.withUnsafeBufferPointer { totals in
                func before(_ a: Int, _ b: Int) -> Bool {
                    if k[a] != k[b] { return k[a] > k[b] }
                    if totals[a] != totals[b] { return totals[a] > totals[b] }
                    return a < b
                }
                for j in 0..<k.count where largest > 0 && (top.count < largest || before(j, top[top.count - 1])) {
                    let at = top.firstIndex { before(j, $0) } ?? top.count
                    top.insert(j, at: at)
                    if top.count > largest { top.removeLast() }
                }
            }
        }
        largestSupports = top.map { Support(context: d.contextText($0), support: k[$0], count: totals[$0]) }
        if !requested.isEmpty {
            guard d.contexts != nil else { throw CorpusError.option(Self.noContextsForOrders) }
            orders = try requested.map { o in
                guard o >= 1, o <= d.contextLength + 1 else {
                    throw CorpusError.option("order \(o) is not available: the data set has order \(d.contextLength + 1) (ingest at a higher --order, or run stats on the corpus files)")
                }
                let m = try d.marginalized(toContextLength: o - 1)
                let h = m.entropy()
                let single = Self.singleSupportShares(m, events: events)
                return OrderRow(order: o, contexts: m.contextCount, entropy: h, entropyBits: h / log(2.0),
                                meanSupport: Double(m.storedCount) / Double(m.contextCount),
                                singleSupportContextShare: single.contexts, singleSupportEventShare: single.events)
            }
            ordersExact = Self.isPadded(d) || requested.allSatisfy { $0 == order }
        }
    }

    /// Whether the data set's recorded options say its sequences were padded with `<s>` … `</s>`.
    static func isPadded(_ d: DataSet) -> Bool {
        struct Recorded: Decodable { var boundary: String? }
        guard let text = d.optionsJSON,
              let boundary = try? JSONDecoder().decode(Recorded.self, from: Data(text.utf8)).boundary else { return false }
        return boundary != "none" && boundary != "auto"
    }

    /// Share of contexts with one next token (support k_j = 1), and of the events after them.
    static func singleSupportShares(_ d: DataSet, events: Double) -> (contexts: Double, events: Double) {
        var singleContexts = 0, singleEvents = 0.0
        for j in 0..<d.contextCount where d.supportSize(j) == 1 { singleContexts += 1; singleEvents += d.counts[d.rowOffsets[j]] }
        return (Double(singleContexts) / Double(max(d.contextCount, 1)), singleEvents / max(events, 1))
    }
}

extension DataSet {
    /// The context's tokens joined by spaces ("#j" when the data set has no vocabulary/contexts).
    public func contextText(_ j: Int) -> String {
        guard let v = vocabulary, let c = contexts else { return "#\(j)" }
        if contextLength == 0 { return "(empty context)" }
        return (0..<contextLength).map { v[Int(c[j * contextLength + $0])] }.joined(separator: " ")
    }
}

#if canImport(Glibc)
import Glibc
#endif
