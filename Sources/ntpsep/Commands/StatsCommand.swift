import ArgumentParser
import Foundation
import NTPCorpus
import NTPFormats

struct Stats: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Corpus statistics: events, contexts, vocabulary, entropy bound, support sizes.",
        discussion: "INPUT is a data set (.npz) or corpus files read with the ingest options.")

    @Argument(help: "A data set (.npz), or corpus files/directories/- read with the ingest options.")
    var inputs: [String]

    @Option(help: "Per-context-length table, e.g. 1-6 or 1,2,4 (each at most the data set's order).")
    var orders: String?

    @Option(help: "How many of the largest supports to list.")
    var top: Int = 10

    @Flag(help: "Print a JSON object (keys: events, contexts, vocabulary, entropy in nats, …).")
    var json = false

    @OptionGroup var ingest: IngestArguments

    func validate() throws {
        try OptionCheck.nonNegative(top, "--top")
    }

    func run() throws {
        let requested = try orders.map(parseOrderList) ?? []
        let data = try loadDataSet(inputs, ingest: ingest, minimumOrder: requested.max())
        if let o = requested.max(), o > data.contextLength + 1 {
            throw CLIError("--orders asks for order \(o) but \(inputs[0]) has order \(data.contextLength + 1)")
        }
        let stats = try CorpusStatistics(data, largest: top, orders: requested)
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
            print(String(decoding: try encoder.encode(stats), as: UTF8.self))
        } else {
            print(render(stats))
        }
    }

    func render(_ s: CorpusStatistics) -> String {
        var lines: [String] = []
        func row(_ k: String, _ v: String) { lines.append(k + String(repeating: " ", count: max(1, 16 - k.count)) + v) }
        row("events", "n = \(grouped(Int(s.events)))")
        row("contexts", "m = \(grouped(s.contexts)) distinct (order \(s.order))")
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
            lines.append("largest supports:")
            lines.append("  " + "k".leftPad(7) + "count".leftPad(10) + "  context")
            for t in s.largestSupports {
                lines.append("  " + String(t.support).leftPad(7) + grouped(Int(t.count)).leftPad(10) + "  " + t.context)
            }
        }
        if let rows = s.orders {
            lines.append("by context length:")
            lines.append("  " + "order".leftPad(5) + "contexts".leftPad(14) + "mean k".leftPad(14) + "𝓗 nats".leftPad(10) + "𝓗 bits".leftPad(10)
                         + "k=1 ctx".leftPad(9) + "k=1 ev".leftPad(8))
            for r in rows {
                lines.append("  " + String(r.order).leftPad(5) + grouped(r.contexts).leftPad(14) + fixed(r.meanSupport, 3).leftPad(14)
                             + fixed(r.entropy, 4).leftPad(10) + fixed(r.entropyBits, 4).leftPad(10)
                             + (fixed(100 * r.singleSupportContextShare, 1) + "%").leftPad(9)
                             + (fixed(100 * r.singleSupportEventShare, 1) + "%").leftPad(8))
            }
        }
        return lines.joined(separator: "\n")
    }
}

/// "1-6" -> [1, …, 6]; "1,2,4" -> [1, 2, 4].
func parseOrderList(_ text: String) throws -> [Int] {
    var result: [Int] = []
    for part in text.split(separator: ",") {
        let bounds = part.split(separator: "-", omittingEmptySubsequences: false)
        if bounds.count == 2, let a = Int(bounds[0]), let b = Int(bounds[1]), a >= 1, a <= b {
            result.append(contentsOf: a...b)
        } else if bounds.count == 1, let a = Int(bounds[0]), a >= 1 {
            result.append(a)
        } else {
            throw CLIError("cannot read order list '\(text)': use e.g. 1-6 or 1,2,4")
        }
    }
    return Array(Set(result)).sorted()
}

/// A data set from one .npz file, or by ingesting corpus files (at `minimumOrder` if larger than --order).
func loadDataSet(_ inputs: [String], ingest: IngestArguments, minimumOrder: Int? = nil) throws -> DataSet {
    if inputs.count == 1, isDataSetArchive(inputs[0]) {
        return try DataSet(contentsOfNPZ: inputs[0])
    }
    var args = ingest
    if let o = minimumOrder, o > args.order { args.order = o }
    return try args.ingest(inputs)
}

/// True for a .npz name or a file starting with a zip signature.
func isDataSetArchive(_ path: String) -> Bool {
    if path.hasSuffix(".npz") { return true }
    guard let f = fopen(path, "rb") else { return false }
    defer { fclose(f) }
    var magic = [UInt8](repeating: 0, count: 4)
    return fread(&magic, 1, 4, f) == 4 && magic == [0x50, 0x4B, 0x03, 0x04]
}

extension String {
    func leftPad(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
