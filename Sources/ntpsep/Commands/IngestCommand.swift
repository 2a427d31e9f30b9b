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

    @Flag(name: .shortAndLong, help: "Print nothing on success.")
    var quiet = false

    func run() throws {
        try checkOutputs([output], inputs: inputs)
        let clock = Stopwatch()
        let data = try ingest.ingest(inputs)
        try data.writeNPZ(to: output)
        if !quiet {
            print("wrote \(output): \(summary(data)) in \(clock.elapsedText)")
        }
    }
}

/// One line with the size of a data set.
func summary(_ d: DataSet) -> String {
    let h = d.entropy()
    return "\(grouped(Int(d.eventCount))) events, \(grouped(d.contextCount)) contexts, \(grouped(d.vocabularySize)) tokens, order \(d.contextLength + 1), 𝓗 = \(fixed(h, 4)) nats (\(fixed(h / log(2.0), 4)) bits)"
}
