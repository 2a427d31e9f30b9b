import Foundation
import NTPCorpus
import NTPFormats

/// Corpus files to counts: the data set in memory (`stats`, `analyze`), or written as .npz or as a
/// part for `merge` (`ingest`).
public enum CorpusIngest {
    /// Ingests `inputs` with `options` into a data set in memory; with `notes`, then a line on
    /// stderr for each input whose text was partly not counted (undefined XML entities).
    public static func dataSet(_ inputs: [String], options: IngestOptions, progress: Bool?, notes: Bool) throws -> DataSet {
        Allocator.keepLargeBlocks()
        let ingestor = try Ingestor(options: options)
        ingestor.progress = ProgressReporter(enabled: progress)
        try ingestor.ingest(inputs)
        let data = try ingestor.makeDataSet()
        if notes { ingestor.shownNotes.forEach(note) }
        return data
    }

    /// What `ingest` writes and how.
    public struct Request {
        /// Corpus files, folders or "-".
        var inputs: [String]
        /// The .npz data set, or with `shard` the part file.
        var output: String
        var options: IngestOptions
        var progress: Bool?
        /// Bytes of RAM for the counts, and where sorted runs go beyond it (nil: the system's temp folder).
        var memoryBudget: Int
        var temporaryParent: String?
        /// Count only shard I of N (a part for `merge`).
        var shard: (index: Int, count: Int)?
        /// A line on stderr for each input whose text was partly not counted, after a successful
        /// write (off with -q).
        public var notes = true

        /// A request with every field given.
        public init(inputs: [String], output: String, options: IngestOptions, progress: Bool?, memoryBudget: Int,
                    temporaryParent: String?, shard: (index: Int, count: Int)?) {
            self.inputs = inputs; self.output = output; self.options = options; self.progress = progress
            self.memoryBudget = memoryBudget; self.temporaryParent = temporaryParent; self.shard = shard
        }
    }

    /// Counts `request.inputs` and writes the data set (or part); returns the line `ingest` prints.
    public static func run(_ request: Request) throws -> String {
        try checkOutputs([request.output], inputs: request.inputs)
        let clock = Stopwatch()
        Allocator.keepLargeBlocks()
        let ingestor = try Ingestor(options: request.options)
        ingestor.progress = ProgressReporter(enabled: request.progress)
        ingestor.memoryBudget = request.memoryBudget
        ingestor.temporaryParent = request.temporaryParent
        let output = request.output
        if let (i, n) = request.shard {
            guard !output.lowercased().hasSuffix(".npz") else {
                throw UserError("--shard writes a part for `ntpsep merge`, not a data set: name it like \(output.dropLast(4)).part")
            }
            try ingestor.ingest(request.inputs, shard: i, of: n)
            try ingestor.writePart(to: output, shards: [i], of: n)
            if request.notes { ingestor.shownNotes.forEach(note) }
            return "wrote \(output): part \(i)/\(n) in \(clock.elapsedText)"
        }
        try ingestor.ingest(request.inputs)
        let written = try ingestor.writeDataSet(to: output)
        if request.notes { ingestor.shownNotes.forEach(note) }
        let folder = request.temporaryParent ?? SpillFolder.systemTempFolder
        let spilled = written.spilledRuns > 0 ? " (\(written.spilledRuns) sorted runs went to \(folder))" : ""
        return "wrote \(output): \(summary(written)) in \(clock.elapsedText)\(spilled)"
    }

    /// Merges parts of `ingest --shard` into a data set (an output ending in .npz) or a larger part;
    /// returns the line `merge` prints.
    public static func merge(_ parts: [String], to output: String, memoryBudget: Int, temporaryParent: String?) throws -> String {
        try checkOutputs([output], inputs: parts)
        let clock = Stopwatch()
        Allocator.keepLargeBlocks()
        let written = try PartMerger.merge(parts, to: output, asDataSet: output.lowercased().hasSuffix(".npz"), memoryBudget: memoryBudget,
                                           temporaryParent: temporaryParent)
        if let written { return "wrote \(output): \(summary(written)) in \(clock.elapsedText)" }
        return "wrote \(output): part of \(counted(parts.count, "part")) in \(clock.elapsedText)"
    }
}

/// One line with the size of a data set.
public func summary(_ d: DataSet) -> String { summary(DataSetSummary(d)) }

/// One line with the size of a data set written without loading it.
public func summary(_ s: DataSetSummary) -> String {
    let h = s.entropy
    return "\(counted(Int(s.events), "event", number: grouped)), \(counted(s.contexts, "context", number: grouped)), \(counted(s.vocabulary, "token", number: grouped)), order \(s.order), 𝓗 = \(fixed(h, 4)) nats (\(fixed(h / log(2.0), 4)) bits)"
}
