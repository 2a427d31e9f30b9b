import Foundation
import NTPFormats

/// Size and entropy of a data set, for the one-line summary commands print.
public struct DataSetSummary: Sendable {
    public var events: Int64
    public var contexts: Int
    public var vocabulary: Int
    public var order: Int
    /// 𝓗 in nats, bit for bit what `DataSet.entropy()` returns for the same data set.
    public var entropy: Double
    /// Sorted runs that went to disk while counting (0: everything stayed in memory).
    public var spilledRuns = 0
}

/// Writes the `.npz` of a data set from its n-grams in final ids, ascending and distinct,
/// without holding the matrix in memory: indices, data, contexts and indptr stream into
/// temporary files, and the archive is assembled from them with the same bytes
/// `DataSet.writeNPZ` gives. 𝓗 is accumulated on the way in `DataSet.entropy()`'s blocks.
final class StreamingDataSetWriter {
    private let n: Int
    private let bits: UInt64
    private let tokenMask: UInt64
    private let vocabulary: [String]
    private let optionsJSON: String
    private let events: Double
    private let columns: RawArrayFile, data: RawArrayFile, contexts: RawArrayFile, offsets: RawArrayFile
    private let folder: SpillFolder
    private var rows = 0, pairs = 0
    private var currentContext: UInt64 = .max
    /// Counts of the current row (grown when a row is longer than any before).
    private var rowCounts: [Double] = []
    private var rowLength = 0
    private var block = CompensatedSum(), total = CompensatedSum()
    private static let blockRows = 1 << 16

    init(folder: SpillFolder, contextLength: Int, bits: Int, eventCount: Int64, vocabulary: [String], optionsJSON: String) throws {
        self.folder = folder
        n = contextLength
        self.bits = UInt64(bits)
        tokenMask = (1 << UInt64(bits)) - 1
        self.vocabulary = vocabulary
        self.optionsJSON = optionsJSON
        events = Double(eventCount)
        columns = try RawArrayFile(in: folder, stem: "indices")
        data = try RawArrayFile(in: folder, stem: "data")
        contexts = try RawArrayFile(in: folder, stem: "contexts")
        offsets = try RawArrayFile(in: folder, stem: "indptr64")
        rowCounts = [Double](repeating: 0, count: 1024)
    }

    /// Approximate bytes the vocabulary strings hold (outside the sorting budget).
    var vocabularyBytes: Int {
        vocabulary.reduce(16 * vocabulary.count) { $0 + ($1.utf8.count > 15 ? $1.utf8.count + 32 : 0) }
    }

    /// Adds one (context, token) pair; keys strictly ascending.
    @inline(__always)
    func add(_ key: UInt64, _ count: Int64) throws {
        let context = key >> bits
        if context != currentContext || rows == 0 {
            if rows > 0 { endRow() }
            currentContext = context
            try offsets.append(int64: Int64(pairs))
            for t in 0..<n { try contexts.append(int32: Int32(truncatingIfNeeded: (key >> (UInt64(n - t) * bits)) & tokenMask)) }
            rows += 1
        }
        try columns.append(int32: Int32(truncatingIfNeeded: key & tokenMask))
        try data.append(int64: count)
        if rowLength == rowCounts.count { rowCounts += [Double](repeating: 0, count: rowLength) }
        rowCounts[rowLength] = Double(count)
        rowLength += 1
        pairs += 1
    }

    /// The entropy terms of the finished row, as `DataSet.entropy()` adds them.
    private func endRow() {
        var t = 0.0
        for e in 0..<rowLength { t += rowCounts[e] }
        for e in 0..<rowLength where rowCounts[e] > 0 && rowCounts[e] != t {
            block.add(-rowCounts[e] / events * log(rowCounts[e] / t))
        }
        rowLength = 0
        if rows % Self.blockRows == 0 { closeBlock() }
    }

    private func closeBlock() {
        total.add(block.sum); total.add(block.compensation)
        block = CompensatedSum()
    }

    /// Writes the archive to `path` (atomically) and returns its summary.
    func finish(to path: String) throws -> DataSetSummary {
        if rows > 0 { endRow() }
        if rows % Self.blockRows != 0 { closeBlock() }
        try offsets.append(int64: Int64(pairs))
        for f in [columns, data, contexts, offsets] { try f.close() }
        var indptr = NPZMember.file(descr: "<i8", shape: [rows + 1], path: offsets.path)
        if pairs <= Int(Int32.max) {
            indptr = .file(descr: "<i4", shape: [rows + 1], path: try narrowed(offsets.path))
        }
        let members: [(String, NPZMember)] = [
            ("indices", .file(descr: "<i4", shape: [pairs], path: columns.path)),
            ("indptr", indptr),
            ("format", .array(NPYArray(bytesString: "csr"))),
            ("shape", .array(NPYArray(int64: [Int64(rows), Int64(vocabulary.count)], shape: [2]))),
            ("data", .file(descr: "<i8", shape: [pairs], path: data.path)),
        ] + DataSet.vocabularyMembers(vocabulary) + [
            ("contexts", .file(descr: "<i4", shape: [rows, n], path: contexts.path)),
            ("options", .array(NPYArray(strings: [optionsJSON], shape: []))),
            ("format_version", .array(FormatVersion.member(DataSet.formatVersion).1)),
        ]
        try NPZArchive.write(members, to: path)
        return DataSetSummary(events: Int64(events), contexts: rows, vocabulary: vocabulary.count, order: n + 1, entropy: total.value)
    }

    /// The Int64 row offsets rewritten as Int32 (they fit), as `writeNPZ` stores them.
    private func narrowed(_ wide: String) throws -> String {
        let out = try RawArrayFile(in: folder, stem: "indptr32")
        let reader = FileHandle(forReadingAtPath: wide)!
        defer { try? reader.close() }
        while let chunk = try reader.read(upToCount: 1 << 20), !chunk.isEmpty {
            try chunk.withUnsafeBytes { raw in
                for i in 0..<(raw.count / 8) {
                    try out.append(int32: Int32(truncatingIfNeeded: Int64(littleEndian: raw.loadUnaligned(fromByteOffset: 8 * i, as: Int64.self))))
                }
            }
        }
        try out.close()
        return out.path
    }
}

