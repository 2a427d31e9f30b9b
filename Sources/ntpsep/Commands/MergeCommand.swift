import ArgumentParser
import NTPCorpus

struct Merge: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Merge count parts from `ingest --shard I/N` into a data set or a larger part.",
        discussion: """
        Parts may be merged in any grouping and order: merging all N shards gives the same bytes as \
        one `ingest` of all inputs (--max-vocab and --min-count act after the merge). An output \
        ending in .npz is a data set and needs every shard; any other name is a part.
        """)

    @Argument(help: "Part files written by `ntpsep ingest --shard I/N` or `ntpsep merge -o PART`.")
    var parts: [String]

    @Option(name: .shortAndLong, help: "Output: a data set (.npz) or a part (any other name).")
    var output: String

    @OptionGroup var memory: MemoryArguments

    @Flag(name: .shortAndLong, help: "Print nothing on success.")
    var quiet = false

    func run() throws {
        try checkWritable(output)
        let clock = Stopwatch()
        Allocator.keepLargeBlocks()
        let asDataSet = output.hasSuffix(".npz")
        let written = try PartMerger.merge(parts, to: output, asDataSet: asDataSet, memoryBudget: try memory.budget(),
                                           temporaryParent: memory.tempDir)
        if !quiet {
            if let written { print("wrote \(output): \(summary(written)) in \(clock.elapsedText)") }
            else { print("wrote \(output): part of \(parts.count) parts in \(clock.elapsedText)") }
        }
    }
}
