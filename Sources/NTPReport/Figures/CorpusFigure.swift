import NTPCorpus
import NTPFormats
import NTPPlot

/// What a paper shows of a corpus before any model: how sparse the next-token supports are (the
/// share of contexts, and of events, whose support has at least k tokens, on log–log axes) and how
/// the conditional entropy falls with the context length.
public func corpusFigure(_ data: DataSet, orders: [CorpusStatistics.OrderRow]) -> String {
    let m = data.contextCount
    var contextsWith: [Int: Double] = [:], eventsWith: [Int: Double] = [:]
    var totalEvents = 0.0
    for j in 0..<m {
        let k = data.supportSize(j)
        contextsWith[k, default: 0] += 1
        eventsWith[k, default: 0] += data.rowTotal(j)
        totalEvents += data.rowTotal(j)
    }
    // Complementary cumulative shares at every support size that occurs, largest first.
    var ks: [Double] = [], byContexts: [Double] = [], byEvents: [Double] = []
    var c = 0.0, e = 0.0
    for k in contextsWith.keys.sorted(by: >) {
        c += contextsWith[k]!; e += eventsWith[k]!
        ks.append(Double(k)); byContexts.append(c / Double(max(m, 1))); byEvents.append(e / max(totalEvents, 1))
    }
    let supports = LineChart(title: "Next-token support sizes", xLabel: "support size k", yLabel: "share with k_j ≥ k",
                             xScale: .log, yScale: .log,
                             series: [Series(name: "contexts", x: ks.reversed(), y: byContexts.reversed()),
                                      Series(name: "events", x: ks.reversed(), y: byEvents.reversed(), dashed: true)])
    let rows = orders.sorted { $0.order < $1.order }
    let entropy = LineChart(title: "Conditional entropy by context length", xLabel: "context length (tokens)",
                            yLabel: "𝓗 (nats per token)",
                            series: [Series(name: "𝓗 of the next token", x: rows.map { Double($0.order - 1) },
                                            y: rows.map(\.entropy), pointMarkers: true)])
    return FigureGrid(charts: [supports, entropy], columns: 2).svg()
}
