#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Writes a sorted run of (key, count) pairs compactly: each key as the LEB128 varint of its
/// difference to the previous key, then the count as a varint (a trigram run of English text
/// takes about 4 bytes per pair instead of 16). Buffered (1 MiB).
final class RunWriter {
    private let file: BufferedFile
    var path: String { file.path }
    private var previous: UInt64 = 0
    /// Pairs written.
    private(set) var count = 0

    /// A run file in the spill folder.
    convenience init(in folder: SpillFolder, stem: String) throws {
        let path = folder.newFile(stem)
        try self.init(path: path, header: [], failure: { folder.failure($0, path) })
    }

    /// A new file at `path` that starts with `header`; `failure` turns an errno into the error.
    /// `checksummed` keeps the CRC-32 that `close(withTrailer:)` needs.
    init(path: String, header: [UInt8], checksummed: Bool = false, failure: @escaping (Int32) -> Error) throws {
        file = try BufferedFile(path: path, header: header, capacity: 1 << 20, checksummed: checksummed, failure: failure)
    }

    /// Appends a pair; keys must not decrease.
    @inline(__always)
    func append(_ key: UInt64, _ count: Int64) throws {
        try file.reserve(20)
        assert(key >= previous)
        put(key &- previous)
        put(UInt64(count))
        previous = key
        self.count += 1
    }

    @inline(__always)
    private func put(_ value: UInt64) {
        var v = value
        let buffer = file.buffer
        var used = file.used
        while v >= 0x80 { buffer[used] = UInt8(truncatingIfNeeded: v) | 0x80; used += 1; v >>= 7 }
        buffer[used] = UInt8(v)
        file.used = used + 1
    }

    /// Flushes and closes the file.
    func close() throws { try file.close() }

    /// Appends `trailer(crc)`, where crc is the CRC-32 of every byte before it, and closes the file.
    func close(withTrailer trailer: (UInt32) -> [UInt8]) throws {
        try file.flushAndChecksum()
        let bytes = trailer(file.checksum)
        try file.reserve(bytes.count)
        bytes.withUnsafeBufferPointer { (file.buffer + file.used).update(from: $0.baseAddress!, count: $0.count) }
        file.used += bytes.count
        try file.close()
    }
}

/// Reads a run written by `RunWriter`, pair by pair, through a buffer of `bufferSize` bytes.
final class RunReader {
    let path: String
    private let folder: SpillFolder?
    private var fd: Int32
    private let buffer: UnsafeMutablePointer<UInt8>
    private let capacity: Int
    private var start = 0, end = 0
    private var atEnd = false
    /// Bytes of the run not yet read from the file.
    private var unread: Int64
    /// Pairs read so far, and how many the run must hold when that is known (a part's trailer).
    private var pairsRead = 0
    private let expectedPairs: Int?
    private var previous: UInt64 = 0
    /// Renumbers every key as it is read (a part's ids into the union vocabulary).
    private let remap: PackedKeyMap?
    /// What every pair of a part must satisfy, checked as it is read (nil for spill runs).
    private let limits: PartPairLimits?
    /// The current pair (valid after `advance()` returned true), its key renumbered by `remap`.
    private(set) var key: UInt64 = 0
    private(set) var count: Int64 = 0

    /// Reads the pairs of `path` from byte `offset` on (a part's pairs follow its header), up to
    /// byte `end` when given (a part's trailer follows its pairs); with `expectedPairs`, a run that
    /// ends with another number of pairs is an error.
    init(path: String, folder: SpillFolder?, offset: Int64 = 0, end: Int64? = nil, expectedPairs: Int? = nil,
         remap: PackedKeyMap? = nil, limits: PartPairLimits? = nil, bufferSize: Int = 1 << 18) throws {
        self.path = path
        self.remap = remap
        self.limits = limits
        self.folder = folder
        self.expectedPairs = expectedPairs
        unread = end.map { $0 - offset } ?? .max
        fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0, lseek(fd, off_t(offset), SEEK_SET) == off_t(offset) else {
            let code = errno
            throw folder?.failure(code, path) ?? CorpusError.input(path, String(cString: strerror(code)))
        }
        capacity = bufferSize
        buffer = .allocate(capacity: bufferSize)
    }

    deinit { buffer.deallocate(); if fd >= 0 { Glibc.close(fd) } }

    /// Moves to the next pair; false at the end of the run.
    @inline(__always)
    func advance() throws -> Bool {
        if end - start < 20 && !atEnd { try refill() }
        if start == end {
            if let expected = expectedPairs, pairsRead != expected {
                throw CorpusError.input(path, "damaged part file (\(pairsRead) pairs read, its trailer says \(expected)); make it again with ntpsep ingest --shard I/N (or merge -o PART)")
            }
            return false
        }
        pairsRead += 1
        let delta = try take(), raw = previous &+ delta
        count = Int64(bitPattern: try take())
        if let limits, let problem = limits.problem(raw, after: previous, delta: delta, first: pairsRead == 1, count: count) {
            throw CorpusError.input(path, "damaged part file (pair #\(pairsRead): \(problem)); make it again with ntpsep ingest --shard I/N (or merge -o PART)")
        }
        previous = raw
        key = remap.map { $0(previous) } ?? previous
        return true
    }

    @inline(__always)
    private func take() throws -> UInt64 {
        var v: UInt64 = 0, shift: UInt64 = 0
        while true {
            guard start < end, shift < 64 else { throw CorpusError.input(path, "truncated or damaged run file") }
            let b = buffer[start]; start += 1
            v |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return v }
            shift += 7
        }
    }

    private func refill() throws {
        let rest = end - start
        buffer.update(from: buffer + start, count: rest)
        start = 0; end = rest
        while end < capacity {
            if unread == 0 { atEnd = true; break }
            let n = read(fd, buffer + end, Int(min(Int64(capacity - end), unread)))
            if n < 0 {
                if errno == EINTR { continue }
                let code = errno
                throw folder?.failure(code, path) ?? CorpusError.input(path, String(cString: strerror(code)))
            }
            if n == 0 { atEnd = true; break }
            end += n
            unread -= Int64(n)
        }
    }
}

/// What a part's pairs must satisfy. Its CRC-32 catches damage in transit, not a file that was
/// written wrong (QA round 12b: a rank past the vocabulary crashed `merge`, a repeated key or a zero
/// count went into the data set).
struct PartPairLimits {
    /// N ids of `bits` bits each per key, every one a rank below `tokens` (the part's vocabulary).
    let order: Int, bits: Int, tokens: Int

    /// Why `key` (read after `previous`, `delta` above it) cannot be in a part; nil when it can.
    @inline(__always)
    func problem(_ key: UInt64, after previous: UInt64, delta: UInt64, first: Bool, count: Int64) -> String? {
        if !first && (delta == 0 || key < previous) { return "its key is not above the one before" }
        if count <= 0 { return "count \(count)" }
        let width = UInt64(bits), mask: UInt64 = bits >= 32 ? 0xFFFF_FFFF : (1 << width) - 1
        if order * bits < 64 && key >> (UInt64(order) * width) != 0 { return "its key has more than \(order) ids" }
        for t in 0..<order {
            let rank = (key >> (UInt64(t) * width)) & mask
            if rank >= UInt64(tokens) { return "token rank \(rank), past the \(tokens) of its vocabulary" }
        }
        return nil
    }
}
