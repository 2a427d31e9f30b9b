import Foundation
import NTPFormats

/// A partial count file: the counts of some shards of a corpus with the token strings, so that
/// parts made by different processes or machines can be merged exactly (`PartMerger`).
///
/// Layout: the line `NTPSEP-PART`, one line of header JSON (`format_version`, the ingest
/// `options` as a JSON string, `shards` held out of `shard_count`, context length, key bits,
/// padding, sequence and event counts, vocabulary size), then the vocabulary sorted by UTF-8
/// bytes (each token: varint byte length, bytes, varint occurrences), then the n-grams as a
/// run: packed keys of vocabulary ranks ascending, delta-varint coded, each with a varint count,
/// and a 16-byte trailer: the pair count (UInt64), the CRC-32 of every byte before the trailer
/// (UInt32, both little-endian) and `NTPE`. Parts travel between machines: a damaged one is
/// refused before any of it is read (QA round 9: one flipped bit merged into a wrong data set,
/// exit 0, or crashed the merge).
public struct CountPartHeader: Equatable, Sendable {
    public static let magic = NPZArchive.countPartMagic
    /// 2: the trailer with the CRC-32.
    public static let formatVersion = 2
    public var options: String
    /// The shard indices this part holds, ascending.
    public var shards: [Int]
    public var shardCount: Int
    public var contextLength: Int
    public var bits: Int
    public var padded: Bool
    public var sequences: Int64
    public var events: Int64
    public var vocabularySize: Int

    func encoded() -> [UInt8] {
        let json = "{\"format_version\":\(Self.formatVersion),\"options\":\(quoted(options)),\"shards\":[\(shards.map(String.init).joined(separator: ","))],"
            + "\"shard_count\":\(shardCount),\"context_length\":\(contextLength),\"bits\":\(bits),\"padded\":\(padded),"
            + "\"sequences\":\(sequences),\"events\":\(events),\"vocabulary\":\(vocabularySize)}"
        return Array((Self.magic + "\n" + json + "\n").utf8)
    }

    static func decode(_ line: [UInt8], path: String) throws -> CountPartHeader {
        func bad(_ what: String) -> CorpusError { .input(path, "not a readable part file (\(what)); parts are written by ntpsep ingest --shard I/N or ntpsep merge -o PART") }
        guard let object = try? JSONSerialization.jsonObject(with: Data(line)) as? [String: Any] else { throw bad("header is not JSON") }
        guard let version = object["format_version"] as? Int else { throw bad("no format_version") }
        guard version == formatVersion else {
            throw CorpusError.input(path, "part format_version \(version), this ntpsep reads version \(formatVersion); re-run its ingest --shard with this ntpsep")
        }
        guard let options = object["options"] as? String, let shards = object["shards"] as? [Int],
              let shardCount = object["shard_count"] as? Int, let n = object["context_length"] as? Int,
              let bits = object["bits"] as? Int, let padded = object["padded"] as? Bool,
              let sequences = (object["sequences"] as? NSNumber)?.int64Value, let events = (object["events"] as? NSNumber)?.int64Value,
              let v = object["vocabulary"] as? Int else { throw bad("header field missing") }
        return CountPartHeader(options: options, shards: shards, shardCount: shardCount, contextLength: n, bits: bits,
                               padded: padded, sequences: sequences, events: events, vocabularySize: v)
    }
}

/// Writes a part atomically: header and vocabulary first, then pairs in ascending key order.
final class CountPartWriter {
    private let path: String
    private let temporary: TemporaryOutputPath
    private let writer: RunWriter

    init(path: String, header: CountPartHeader, vocabulary: [[UInt8]], occurrences: [Int64]) throws {
        self.path = path
        // Our temporary naming: deleted on SIGINT/SIGTERM/SIGHUP, swept when its process is gone.
        temporary = try TemporaryOutputPath(for: path)
        var bytes = header.encoded()
        for (token, count) in zip(vocabulary, occurrences) {
            appendVarint(&bytes, UInt64(token.count)); bytes += token; appendVarint(&bytes, UInt64(count))
        }
        let target = path
        writer = try RunWriter(path: temporary.path, header: bytes, checksummed: true, failure: { CorpusError.input(target, "cannot write: \(String(cString: strerror($0)))") })
    }


    @inline(__always)
    func append(_ key: UInt64, _ count: Int64) throws { try writer.append(key, count) }

    /// Closes the file with its trailer and renames it into place.
    func commit() throws {
        let pairs = UInt64(writer.count)
        try writer.close { crc in CountPartTrailer(pairs: pairs, crc: crc).bytes }
        do { try temporary.commit() } catch { throw CorpusError.input(path, "cannot write: \(error)") }
    }
}

func appendVarint(_ bytes: inout [UInt8], _ value: UInt64) {
    var v = value
    while v >= 0x80 { bytes.append(UInt8(truncatingIfNeeded: v) | 0x80); v >>= 7 }
    bytes.append(UInt8(v))
}

/// A part's header and vocabulary, read eagerly; its pairs are streamed with `pairs()`.
public struct CountPart {
    public let path: String
    public let header: CountPartHeader
    /// Token bytes in ascending byte order (the part's ids are ranks in this list).
    public let vocabulary: [[UInt8]]
    public let occurrences: [Int64]
    /// Where the pairs start, where they end (the trailer's offset), and how many there are.
    let pairsOffset: Int64, pairsEnd: Int64, pairCount: Int

    public init(path: String) throws {
        self.path = path
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw CorpusError.input(path, "\(String(cString: strerror(errno))) (check the path)")
        }
        defer { try? handle.close() }
        guard [UInt8](try handle.read(upToCount: CountPartHeader.magic.utf8.count + 1) ?? Data()) == Array((CountPartHeader.magic + "\n").utf8) else {
            throw CorpusError.input(path, "not a part file (no NTPSEP-PART line); parts are written by ntpsep ingest --shard I/N or ntpsep merge -o PART")
        }
        (pairsEnd, pairCount) = try CountPartTrailer.verify(handle, path: path)
        var data = [UInt8](try handle.read(upToCount: 1 << 20) ?? Data())
        var position = 0, pairsBase = 0
        func line() throws -> [UInt8] {
            while true {
                if let nl = data[position...].firstIndex(of: 0x0A) {
                    defer { position = nl + 1 }
                    return Array(data[position..<nl])
                }
                guard let more = try handle.read(upToCount: 1 << 20), !more.isEmpty else {
                    throw CorpusError.input(path, "not a part file (truncated header); parts are written by ntpsep ingest --shard I/N or ntpsep merge -o PART")
                }
                data += more
            }
        }
        _ = try line()   // the NTPSEP-PART line, checked above
        header = try CountPartHeader.decode(try line(), path: path)
        func ensure(_ bytes: Int) throws {
            while data.count - position < bytes {
                guard let more = try handle.read(upToCount: 1 << 20), !more.isEmpty else {
                    throw CorpusError.input(path, "truncated part file (vocabulary ends early)")
                }
                data += more
            }
        }
        func varint() throws -> UInt64 {
            var v: UInt64 = 0, shift: UInt64 = 0
            while true {
                try ensure(1)
                let b = data[position]; position += 1
                v |= UInt64(b & 0x7F) << shift
                if b < 0x80 { return v }
                shift += 7
                if shift >= 64 { throw CorpusError.input(path, "damaged part file (bad number in the vocabulary)") }
            }
        }
        var vocabulary: [[UInt8]] = [], occurrences: [Int64] = []
        vocabulary.reserveCapacity(header.vocabularySize); occurrences.reserveCapacity(header.vocabularySize)
        for i in 0..<header.vocabularySize {
            let length = Int(try varint())
            try ensure(length)
            let token = Array(data[position..<(position + length)])
            // The merge maps each part's ids into the union in one forward pass, which needs this order.
            if let last = vocabulary.last, !ByteOrder.precedes(last, token) {
                throw CorpusError.input(path, "damaged part file (vocabulary token #\(i + 1) is not after #\(i) in byte order); make it again with ntpsep ingest --shard I/N (or merge -o PART)")
            }
            vocabulary.append(token); position += length
            occurrences.append(Int64(try varint()))
            // Keep the buffer small: drop what was read.
            if position > 1 << 20 { data.removeFirst(position); pairsBase += position; position = 0 }
        }
        self.vocabulary = vocabulary
        self.occurrences = occurrences
        pairsOffset = Int64(pairsBase + position)
    }

    /// A reader of the part's pairs, their keys renumbered by `remap` when given.
    func pairs(remappedBy remap: PackedKeyMap? = nil) throws -> RunReader {
        try RunReader(path: path, folder: nil, offset: pairsOffset, end: pairsEnd, expectedPairs: pairCount, remap: remap,
                      limits: PartPairLimits(order: header.contextLength + 1, bits: header.bits, tokens: vocabulary.count))
    }
}

/// The last 16 bytes of a part: its pair count, the CRC-32 of all bytes before them, `NTPE`.
struct CountPartTrailer {
    static let size = 16
    static let magic = Array("NTPE".utf8)
    var pairs: UInt64
    var crc: UInt32

    var bytes: [UInt8] {
        (0..<8).map { UInt8(truncatingIfNeeded: pairs >> UInt64(8 * $0)) } + (0..<4).map { UInt8(truncatingIfNeeded: crc >> UInt32(8 * $0)) } + Self.magic
    }

    /// Checks the trailer and the CRC-32 of the part read through `handle`; returns the trailer's
    /// offset (where the pairs end) and its pair count.
    static func verify(_ handle: FileHandle, path: String) throws -> (end: Int64, pairs: Int) {
        let remake = "make it again with ntpsep ingest --shard I/N (or merge -o PART) and copy it again"
        let fileSize = Int64(try handle.seekToEnd())
        guard fileSize >= Int64(size) else { throw CorpusError.input(path, "not a complete part file (\(fileSize) bytes, no trailer); \(remake)") }
        try handle.seek(toOffset: UInt64(fileSize) - UInt64(size))
        let tail = [UInt8](try handle.read(upToCount: size) ?? Data())
        guard tail.count == size, Array(tail[12...]) == magic else {
            throw CorpusError.input(path, "not a complete part file (no NTPE trailer at byte \(fileSize - Int64(size))): truncated, damaged, or written by an older ntpsep; \(remake)")
        }
        let stored = tail[8..<12].reversed().reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let pairs = tail[0..<8].reversed().reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        try handle.seek(toOffset: 0)
        var crc: UInt32 = 0, left = fileSize - Int64(size)
        while left > 0 {
            guard let chunk = try handle.read(upToCount: Int(min(left, 1 << 20))), !chunk.isEmpty else { break }
            crc = chunk.withUnsafeBytes { crc32($0, continuing: crc) }
            left -= Int64(chunk.count)
        }
        guard left == 0, crc == stored else {
            throw CorpusError.input(path, "damaged part file (CRC-32 mismatch: the bytes before its trailer changed since it was written); \(remake)")
        }
        guard pairs <= UInt64(fileSize) else {
            throw CorpusError.input(path, "damaged part file (its trailer counts \(pairs) pairs in \(fileSize) bytes); \(remake)")
        }
        try handle.seek(toOffset: 0)
        return (fileSize - Int64(size), Int(pairs))
    }
}
