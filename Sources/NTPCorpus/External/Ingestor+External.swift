import Dispatch
import Foundation
import NTPFormats
import Synchronization

/// Out-of-core counting: spilling sorted runs under `memoryBudget`, shards, and writing the
/// data set or a part from runs on disk.
extension Ingestor {
    /// Bytes outside the budget's accounting: the 1 MiB read buffer, per-thread and allocator
    /// slack, ICU, and the binary itself (see README, "Out-of-core counting").
    public static let memoryOverhead = 64 << 20

    /// The folder for sorted runs in `temporaryParent`, created on first use.
    func temporaryFolder() throws -> SpillFolder {
        if let spillFolder { return spillFolder }
        let folder = try SpillFolder(parent: temporaryParent)
        spillFolder = folder
        return folder
    }

    /// Under a budget, the merged run may grow until it, its merge target (1.5× growth) and the
    /// event buffers plus the vocabulary reach the budget.
    func updateSpillLimit() {
        guard let budget = memoryBudget, let p = processor, let table = p.sequences.packed else { return }
        let fixed = 3 * table.bufferCapacity * 8 + p.interner.approximateBytes
        table.spillLimit = max(1 << 16, (budget - fixed) / 48)
    }

    /// Reads shard `shard` of `count` of `inputs`: every `count`-th file starting at `shard`
    /// when there are at least `count` files, else, for one plain-text file read by lines,
    /// bytes `[size·shard/count, size·(shard+1)/count)` with both ends moved forward to just
    /// after a newline. The options record all inputs, as one process reading them would.
    public func ingest(_ inputs: [String], shard: Int, of count: Int) throws {
        guard count >= 1, shard >= 0, shard < count else {
            throw CorpusError.option("--shard \(shard)/\(count): expected I/N with 0 ≤ I < N")
        }
        let files = try InputFiles.expand(inputs)
        // With --boundary none one token stream runs on across files, so the n-grams that cross a file
        // boundary would fall between shards (QA round 8: 3,996 events merged against 3,998).
        let acrossFiles = CorpusError.option("--shard \(shard)/\(count) with --boundary none: the token stream runs on from file to file, and the n-grams across file ends would fall between shards; ingest without --shard, or use --boundary document (each file a sequence)")
        if files.count >= count {
            // Here files.count ≥ count, so two shards mean two files at least.
            if count > 1 && options.boundary == .none { throw acrossFiles }
            for (i, file) in files.enumerated() where i % count == shard {
                try ingestFile(file)
                // `auto` is none for token id streams, known once the first file is read.
                if count > 1 && processor?.boundary == IngestOptions.Boundary.none { throw acrossFiles }
            }
        } else {
            if files == ["-"] {
                // QA round 11: the general message below offered "one plain-text file to cut by lines".
                throw CorpusError.option("--shard \(shard)/\(count): standard input cannot be cut into shards (it is read once, from the start); save it to a file, or split it into \(count) or more files")
            }
            guard files.count == 1 else {
                throw CorpusError.option("--shard \(shard)/\(count): \(counted(files.count, "input file")) cannot make \(count) shards; give at least \(count) files, or one plain-text file to cut by lines")
            }
            let file = files[0]
            let format = options.format
            guard (format == .auto || format == .text), options.boundary == .auto || options.boundary == .line else {
                throw CorpusError.option("--shard on a single file cuts it at line ends, which needs text read with --boundary line; split the corpus into \(count) or more files instead")
            }
            let whole = try ByteSource(path: file)
            guard whole.compression == .none, let size = whole.compressedSize else {
                throw CorpusError.input(file, "a compressed file or a pipe cannot be cut into byte ranges; decompress it or split it into several files")
            }
            if format == .auto, let kind = try Self.notLineText(whole, path: file) {
                throw CorpusError.input(file, "--shard on a single file cuts it at line ends, and this file is \(kind) (by its content and name), whose 0x0A bytes are not line ends; split it into several files")
            }
            let start = try Self.lineStart(file, at: size * Int64(shard) / Int64(count), size: size)
            let end = try Self.lineStart(file, at: size * Int64(shard + 1) / Int64(count), size: size)
            try ingestFile(file, byteRange: start..<max(start, end))
        }
        self.inputs = files
        // Said by shard 0 only: it is about the inputs, which every shard names.
        if shard == 0 { notes += InputFiles.repeatNotes(files) }
        progress?.finish()
    }

    /// What `source` is when its first bytes and name say it is not UTF-8 text that line ends
    /// divide (token ids, XML, UTF-16), as `--shard` names it; nil for plain text.
    static func notLineText(_ source: ByteSource, path: String) throws -> String? {
        var head = [UInt8](repeating: 0, count: 4096)
        var filled = 0
        while filled < head.count {
            let n = try head.withUnsafeMutableBytes { try source.read(into: UnsafeMutableRawBufferPointer(rebasing: $0[filled...])) }
            if n == 0 { break }
            filled += n
        }
        return head[0..<filled].withUnsafeBufferPointer { b in
            switch FormatSniffer.sniff(b, path: path) {
            case .npy: return "a .npy token id stream"
            case .u16, .u32: return "a token id stream (.bin)"
            case .xml: return "XML"
            case .text, .auto:
                if FormatSniffer.hasUTF16ByteOrderMark(b) || utf16WithoutBOM(b) != nil { return "UTF-16 text" }
                return nil
            }
        }
    }

    /// `LineEnds.firstIsLoneCR` of the file at `path` read from its start (nil: it has no line end).
    static func firstLineEndIsLoneCR(_ path: String) throws -> Bool? {
        let source = try ByteSource(path: path)
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var endedWithCR = false   // the previous chunk ended with the file's first line end, a CR
        while true {
            let n = try chunk.withUnsafeMutableBytes { try source.read(into: $0) }
            if n == 0 { return nil }
            if endedWithCR { return chunk[0] != 0x0A }
            if let decided = chunk.withUnsafeBufferPointer({ LineEnds.firstIsLoneCR(UnsafeBufferPointer(rebasing: $0[0..<n])) }) {
                return decided
            }
            endedWithCR = chunk[n - 1] == 0x0D
        }
    }

    /// The first offset ≥ `position` that starts a line (0, just after a '\n', or the end).
    static func lineStart(_ path: String, at position: Int64, size: Int64) throws -> Int64 {
        if position <= 0 { return 0 }
        if position >= size { return size }
        let source = try ByteSource(path: path, byteRange: (position - 1)..<size)
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        var offset = position - 1
        while true {
            let n = try chunk.withUnsafeMutableBytes { try source.read(into: $0) }
            if n == 0 { return size }
            if let nl = chunk[0..<n].firstIndex(of: 0x0A) { return offset + Int64(nl) + 1 }
            offset += Int64(n)
        }
    }

    /// Writes the data set to `path` and returns its summary. Without a budget, or when the
    /// counts stayed small, this is `makeDataSet()` + `writeNPZ`; otherwise the counts are
    /// finished on disk (same bytes).
    public func writeDataSet(to path: String) throws -> DataSetSummary {
        // The in-memory build needs about 60 bytes per distinct n-gram. When even an upper bound
        // on them fits, the worker's last merge is left to overlap the vocabulary's ordering, and
        // the last buffer to the final sort, which re-sorts every key anyway.
        if let budget = memoryBudget, let table = try finishedTable(merging: false),
           table.mayHaveSpilled || table.pairsAtMost * 60 + processor!.interner.approximateBytes > budget {
            table.flush()
            try table.takeSpillError()
            if !table.spilledRuns.isEmpty || table.run.count * 60 + processor!.interner.approximateBytes > budget {
                return try writeDataSetFromRuns(to: path, table: table, budget: budget)
            }
        }
        let data = try makeDataSet()
        let summary = try Self.writing(data, to: path)
        spillFolder?.remove()
        return summary
    }

    /// Writes `data` and returns its summary, computing 𝓗 on a second thread while the file is
    /// written (the write is mostly the kernel copying into the page cache, on one thread).
    private static func writing(_ data: DataSet, to path: String) throws -> DataSetSummary {
        let entropy = Mutex(0.0), failure = Mutex<Error?>(nil)
        DispatchQueue.concurrentPerform(iterations: 2) { task in
            if task == 1 {
                entropy.withLock { $0 = data.entropy() }
                return
            }
            do { try data.writeNPZ(to: path) } catch { failure.withLock { $0 = error } }
        }
        if let error = failure.withLock({ $0 }) { throw error }
        return DataSetSummary(data, entropy: entropy.withLock { $0 })
    }

    /// Writes the counts as a part of shards `shards` of `shardCount` (see `CountPart`).
    public func writePart(to path: String, shards: [Int], of shardCount: Int) throws {
        guard let table = try finishedTable(forPart: true) else { return }
        let folder = try temporaryFolder()
        let runs = try runsOnDisk(table, folder: folder)
        let (n, bits, events) = shape()
        let (writer, rank) = try partWriter(path, shards: shards, of: shardCount)
        processor = nil   // the vocabulary is in the writer now: its memory goes to sorting
        let readers = try runs.map { try RunReader(path: $0, folder: folder) }
        try sortRenumbered(RunMerger(readers), map: PackedKeyMap(order: n + 1, bits: bits, map: rank),
                           budgetBytes: memoryBudget ?? (1 << 30), pairsAtMost: Int(events), folder: folder) { try writer.append($0, $1) }
        try writer.commit()
        folder.remove()
    }

    /// Context length, key bits and event count of the counts.
    private func shape() -> (Int, Int, Int64) {
        let s = processor!.sequences
        return (s.contextLength, s.bits, s.eventCount)
    }

    /// The part's writer (header and byte-sorted vocabulary written) and interner id -> rank.
    private func partWriter(_ path: String, shards: [Int], of shardCount: Int) throws -> (CountPartWriter, [UInt32]) {
        let p = processor!, interner = p.interner, n = p.sequences.contextLength
        let used = DataSetBuilder.usedTokens(interner: interner, padded: p.sequences.padded,
                                             sequenceCount: p.sequences.sequenceCount, contextLength: n)
        let ids = DataSetBuilder.tokensByBytes((0..<interner.count).filter { used[$0] }, interner: interner)
        var rank = [UInt32](repeating: 0, count: interner.count)
        for (r, id) in ids.enumerated() { rank[id] = UInt32(r) }
        let limit = 1 << p.sequences.bits
        if p.sequences.bits < 32, 2 * ids.count > limit {
            // QA round 21: 7 shards of an order-4 corpus each fit, and only their merge found 112,814 tokens.
            notes.append("this part holds \(ids.count) distinct tokens, over half of the \(limit) that order-\(n + 1) keys of parts hold: the merged parts may not fit (merge then stops); ingest without --shard has no such limit")
        }
        var resolved = options
        resolved.boundary = p.boundary
        let header = CountPartHeader(options: resolved.jsonObject(inputs: inputs), shards: shards, shardCount: shardCount,
                                     contextLength: n, bits: p.sequences.bits, padded: p.sequences.padded,
                                     sequences: Int64(p.sequences.sequenceCount), events: p.sequences.eventCount,
                                     vocabularySize: ids.count)
        let occurrences = interner.occurrences
        let writer = try CountPartWriter(path: path, header: header, vocabulary: ids.map { Array(interner.bytes(of: $0)) },
                                         occurrences: ids.map { occurrences[$0] })
        return (writer, rank)
    }

    /// The packed counts, after checking they are complete, with everything merged unless
    /// `merging` is false (the worker may then still be merging); `nil` when the counts are in
    /// the general (unpacked) counter, which only the in-memory build takes.
    private func finishedTable(forPart: Bool = false, merging: Bool = true) throws -> NGramRuns? {
        guard let p = processor else {
            if forPart { throw CorpusError.empty("no input read for this shard") }
            _ = try makeDataSet()   // throws the "no tokens" error
            return nil
        }
        if !forPart && p.sequences.eventCount == 0 { _ = try makeDataSet() }
        let tooMany = "more than \(1 << p.sequences.bits) distinct tokens at order \(p.sequences.contextLength + 1)"
            + " (2^⌊64/N⌋ at order N; --max-vocab does not help, it acts after counting)"
        if p.sequences.outgrewSpilledRuns {
            throw CorpusError.option("\(tooMany) after counts went to disk: out-of-core counting packs an n-gram into 64 bits; raise --memory so the counts fit in RAM, or lower --order")
        }
        guard let table = p.sequences.packed else {
            if forPart { throw CorpusError.option("\(tooMany): parts pack an n-gram into 64 bits; lower --order") }
            // QA round 9: the budget was dropped without a word (179 MB used under --memory 16M).
            if let budget = memoryBudget, let general = p.sequences.general, general.approximateBytes > budget {
                notes.append("the counts took about \(general.approximateBytes >> 20) MiB, above the --memory budget of \(budget >> 20) MiB; they stayed in memory, because with \(tooMany) n-grams do not fit the 64-bit keys that can go to disk; lower --order to bound memory")
            }
            return nil
        }
        if merging {
            table.flush()
            try table.takeSpillError()
        }
        return table
    }

    /// Every count as sorted runs on disk (the merged run in memory goes last); frees the table.
    private func runsOnDisk(_ table: NGramRuns, folder: SpillFolder) throws -> [String] {
        table.spillFolder = { folder }
        table.spillRun()
        try table.takeSpillError()
        let runs = table.spilledRuns
        table.release()
        return runs
    }

    private func writeDataSetFromRuns(to path: String, table: NGramRuns, budget: Int) throws -> DataSetSummary {
        let folder = try temporaryFolder()
        let runs = try runsOnDisk(table, folder: folder)
        let (n, bits, events) = shape()
        let (newID, writer) = try dataSetWriter(folder: folder)
        processor = nil   // the vocabulary is in the writer now: its memory goes to sorting
        let readers = try runs.map { try RunReader(path: $0, folder: folder) }
        try sortRenumbered(RunMerger(readers), map: PackedKeyMap(order: n + 1, bits: bits, map: newID),
                           budgetBytes: budget - writer.vocabularyBytes, pairsAtMost: Int(events), folder: folder) { try writer.add($0, $1) }
        var summary = try writer.finish(to: path)
        summary.spilledRuns = runs.count
        folder.remove()
        return summary
    }

    /// Interner id -> final id, and the writer of the data set holding the final vocabulary.
    private func dataSetWriter(folder: SpillFolder) throws -> ([UInt32], StreamingDataSetWriter) {
        let p = processor!
        let (newID, vocabulary) = DataSetBuilder.finalTokenIDs(interner: p.interner, sequences: p.sequences,
                                                               maxVocabulary: options.maxVocabulary, minCount: options.minCount)
        var resolved = options
        resolved.boundary = p.boundary
        let writer = try StreamingDataSetWriter(folder: folder, contextLength: p.sequences.contextLength, bits: p.sequences.bits,
                                                eventCount: p.sequences.eventCount, vocabulary: vocabulary,
                                                optionsJSON: resolved.jsonObject(inputs: inputs))
        return (newID, writer)
    }
}
extension DataSetSummary {
    /// The summary of a data set in memory.
    public init(_ d: DataSet) {
        self.init(d, entropy: d.entropy())
    }

    /// The summary of a data set whose 𝓗 (`d.entropy()`) is known.
    init(_ d: DataSet, entropy: Double) {
        self.init(events: Int64(d.eventCount), contexts: d.contextCount, vocabulary: d.vocabularySize,
                  order: d.contextLength + 1, entropy: entropy)
    }
}
