import ArgumentParser
import NTPReport

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

    @OptionGroup var output: OutputOption<MergedFile>
    @OptionGroup var memory: MemoryArguments
    @OptionGroup var console: QuietFlag

    func run() throws {
        console.emit(try CorpusIngest.merge(parts, to: output.requiredPath, memoryBudget: try memory.budget(),
                                            temporaryParent: memory.tempDir))
    }
}

extension Merge: RepeatedInputs {
    var repeatedValues: [String] { get { parts } set { parts = newValue } }
}
