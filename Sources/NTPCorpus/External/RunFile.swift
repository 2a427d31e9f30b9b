#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// Writes a sorted run of (key, count) pairs compactly: each key as the LEB128 varint of its
/// difference to the previous key, then the count as a varint (a trigram run of English text
/// takes about 4 bytes per pair instead of 16). Buffered (1 MiB).
final class RunWriter {
    let path: String
    private let failure: (Int32) -> Error
    private var fd: Int32
    private let buffer: UnsafeMutablePointer<UInt8>
    private var used = 0
    private var previous: UInt64 = 0
    /// Pairs written.
    private(set) var count = 0
    static let bufferSize = 1 << 20

    /// A run file in the spill folder.
    convenience init(in folder: SpillFolder, stem: String) throws {
        let path = folder.newFile(stem)
        try self.init(path: path, header: [], failure: { folder.failure($0, path) })
    }

    /// A new file at `path` that starts with `header`; `failure` turns an errno into the error.
    init(path: String, header: [UInt8], failure: @escaping (Int32) -> Error) throws {
        self.path = path
        self.failure = failure
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure(errno) }
        buffer = .allocate(capacity: max(Self.bufferSize, header.count + 32))
        header.withUnsafeBufferPointer { buffer.update(from: $0.baseAddress!, count: $0.count) }
        used = header.count
    }

    deinit { buffer.deallocate(); if fd >= 0 { Glibc.close(fd) } }

    /// Appends a pair; keys must not decrease.
    @inline(__always)
    func append(_ key: UInt64, _ count: Int64) throws {
        if used > Self.bufferSize - 20 { try flush() }
        assert(key >= previous)
        put(key &- previous)
        put(UInt64(count))
        previous = key
        self.count += 1
    }

    @inline(__always)
    private func put(_ value: UInt64) {
        var v = value
        while v >= 0x80 { buffer[used] = UInt8(truncatingIfNeeded: v) | 0x80; used += 1; v >>= 7 }
        buffer[used] = UInt8(v); used += 1
    }

    private func flush() throws {
        var offset = 0
        while offset < used {
            let n = write(fd, buffer + offset, used - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw failure(errno)
            }
            offset += n
        }
        used = 0
    }

    /// Flushes and closes the file.
    func close() throws {
        try flush()
        let failed = Glibc.close(fd) != 0
        let code = errno
        fd = -1
        if failed { throw failure(code) }
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
    private var previous: UInt64 = 0
    /// The current pair (valid after `advance()` returned true).
    private(set) var key: UInt64 = 0
    private(set) var count: Int64 = 0

    /// Reads the pairs of `path` from byte `offset` on (a part's pairs follow its header).
    init(path: String, folder: SpillFolder?, offset: Int64 = 0, bufferSize: Int = 1 << 18) throws {
        self.path = path
        self.folder = folder
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
        if start == end { return false }
        key = previous &+ (try take())
        count = Int64(bitPattern: try take())
        previous = key
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
            let n = read(fd, buffer + end, capacity - end)
            if n < 0 {
                if errno == EINTR { continue }
                let code = errno
                throw folder?.failure(code, path) ?? CorpusError.input(path, String(cString: strerror(code)))
            }
            if n == 0 { atEnd = true; break }
            end += n
        }
    }
}
