import ArgumentParser
import NTPReport

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

    @OptionGroup var console: JSONOption<StatisticsOutcome>
    @OptionGroup var ingest: IngestArguments

    func validate() throws {
        try OptionCheck.nonNegative(top, "--top")
        // Without --order, corpus files are counted at the highest order --orders asks for; an explicit
        // lower one would be silently raised (QA round 8).
        if let given = ingest.order, let highest = try orders.map(parseOrderList)?.max(), highest > given {
            throw UserError("--orders asks for order \(highest), above --order \(given): raise --order or omit it")
        }
    }

    func run() throws {
        let statistics = CorpusSummary(inputs: inputs, options: try ingest.ingestOptions(), progress: ingest.progress,
                                       orders: try orders.map(parseOrderList) ?? [], top: top)
        try console.emit(try statistics.run())
    }
}

extension Stats: RepeatedInputs {
    var repeatedValues: [String] { get { inputs } set { inputs = newValue } }
}
