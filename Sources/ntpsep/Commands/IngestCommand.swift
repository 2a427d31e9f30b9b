import ArgumentParser
import NTPReport

struct Ingest: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Count distinct contexts and their next tokens in a corpus; write a scipy-readable .npz.",
        discussion: """
        Inputs are files, directories (read recursively, in sorted order) or - for standard input; \
        .gz and .bz2 are decompressed while streaming. The output holds the m × V CSR count matrix \
        (scipy.sparse.load_npz), the vocabulary ('vocab'), the context token ids ('contexts') and \
        the options used ('options').
        """)

    @Argument(help: "Corpus files, directories, or - for standard input.")
    var inputs: [String]

    @OptionGroup var output: OutputOption<DataSetFile>
    @OptionGroup var ingest: IngestArguments
    @OptionGroup var memory: MemoryArguments

    @Option(help: "Count only shard I of N (e.g. 3/8): every N-th input file from the I-th, or for one plain-text file the I-th of N byte ranges cut at line ends. The output is then a part for `ntpsep merge`.")
    var shard: String?

    @OptionGroup var console: QuietFlag

    func run() throws {
        var request = CorpusIngest.Request(inputs: inputs, output: output.requiredPath, options: try ingest.ingestOptions(),
                                           progress: console.progress(ingest.progress), memoryBudget: try memory.budget(),
                                           temporaryParent: memory.tempDir, shard: try shard.map(parseShard))
        request.notes = !console.quiet
        console.emit(try CorpusIngest.run(request))
    }
}

/// "I/N" with 0 ≤ I < N.
func parseShard(_ text: String) throws -> (index: Int, count: Int) {
    let parts = text.split(separator: "/")
    guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, i >= 0, i < n else {
        throw UserError("--shard \(text): expected I/N with 0 ≤ I < N, e.g. 0/8")
    }
    return (i, n)
}

extension Ingest: RepeatedInputs {
    var repeatedValues: [String] { get { inputs } set { inputs = newValue } }
}
