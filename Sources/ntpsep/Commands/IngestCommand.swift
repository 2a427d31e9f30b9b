import Foundation
import ArgumentParser
import NTPCorpus
import NTPFormats

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

    @Option(name: .shortAndLong, help: "Output data set (.npz).")
    var output: String

    @OptionGroup var ingest: IngestArguments

    @OptionGroup var memory: MemoryArguments

    @Option(help: "Count only shard I of N (e.g. 3/8): every N-th input file from the I-th, or for one plain-text file the I-th of N byte ranges cut at line ends. The output is then a part for `ntpsep merge`.")
    var shard: String?

    @Flag(name: .shortAndLong, help: "Print nothing on success.")
    var quiet = false

    func run() throws {
        try checkWritable(output)
        let clock = Stopwatch()
        Allocator.keepLargeBlocks()
        let ingestor = try Ingestor(options: try ingest.ingestOptions())
        ingestor.progress = ProgressReporter(enabled: ingest.progress)
        ingestor.memoryBudget = try memory.budget()
        ingestor.temporaryParent = memory.tempDir
        if let shard {
            let (i, n) = try parseShard(shard)
            guard !output.hasSuffix(".npz") else {
                throw CLIError("--shard writes a part for `ntpsep merge`, not a data set: name it like \(output.dropLast(4)).part")
            }
            try ingestor.ingest(inputs, shard: i, of: n)
            try ingestor.writePart(to: output, shards: [i], of: n)
            if !quiet { print("wrote \(output): part \(i)/\(n) in \(clock.elapsedText)") }
            return
        }
        try ingestor.ingest(inputs)
        let written = try ingestor.writeDataSet(to: output)
        if !quiet {
            let spilled = written.spilledRuns > 0 ? " (\(written.spilledRuns) sorted runs went to \(memory.tempDir ?? SpillFolder.systemTempFolder))" : ""
            print("wrote \(output): \(summary(written)) in \(clock.elapsedText)\(spilled)")
        }
    }
}

/// "I/N" with 0 ≤ I < N.
func parseShard(_ text: String) throws -> (Int, Int) {
    let parts = text.split(separator: "/")
    guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n >= 1, i >= 0, i < n else {
        throw CLIError("--shard \(text): expected I/N with 0 ≤ I < N, e.g. 0/8")
    }
    return (i, n)
}

/// One line with the size of a data set.
func summary(_ d: DataSet) -> String { summary(DataSetSummary(d)) }

/// One line with the size of a data set written without loading it.
func summary(_ s: DataSetSummary) -> String {
    let h = s.entropy
    return "\(grouped(Int(s.events))) events, \(grouped(s.contexts)) contexts, \(grouped(s.vocabulary)) tokens, order \(s.order), 𝓗 = \(fixed(h, 4)) nats (\(fixed(h / log(2.0), 4)) bits)"
}
