import ArgumentParser
import NTPReport

struct Analyze: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "From corpus to answer: statistics, both conditions for several embeddings, training curves, a dimension sweep, and an HTML report.",
        discussion: """
        With no INPUT, reads the default corpus (corpora/data/kjv.txt; fetch it with corpora/fetch.sh default). \
        The whole corpus is counted for the statistics; the conditions are checked on the most frequent \
        contexts over the most frequent tokens (others become <unk>), where exact LP decisions are possible. \
        Writes DIR/analysis.json, DIR/report.html (self-contained), DIR/data.npz, the training and sweep \
        figures (SVG) and their CSV logs.
        """)

    @Argument(help: "Corpus files or directories (default: corpora/data/kjv.txt).")
    var inputs: [String] = []

    @OptionGroup var output: OutputOption<AnalysisFolder>
    @OptionGroup var ingest: IngestArguments
    @OptionGroup var budget: AnalysisBudgetArguments

    @Option(help: "Seed of the Gaussian embeddings.")
    var seed: UInt64 = 0

    @Flag(help: "Write no certificate files (certificates/ and data-checks.npz, most of the folder): every verdict is still verified in the run, but cannot be rechecked with numpy later.")
    var noCertificates = false

    @OptionGroup var console: QuietFlag

    func run() throws {
        var analysis = Analysis(corpus: inputs, ingest: try ingest.ingestOptions(), progress: console.progress(ingest.progress),
                                budget: budget.budget, preset: budget.preset, seed: seed, directory: output.path)
        analysis.quiet = console.quiet
        analysis.certificates = !noCertificates
        console.emit(try analysis.run().text)
    }
}

extension Analyze: RepeatedInputs {
    var repeatedValues: [String] { get { inputs } set { inputs = newValue } }
}
