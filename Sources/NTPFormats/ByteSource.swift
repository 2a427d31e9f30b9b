import CZip

/// A streaming reader of a file or standard input that transparently decompresses gzip
/// (including multi-member files) and bzip2 (including multi-stream files such as Wikipedia's
/// multistream dumps and pbzip2 output). Compression is detected from the magic bytes, never
/// from the file name, so `zcat`-style pipes into stdin work too.
public final class ByteSource {
    /// Compression of the input, detected from its first bytes.
    public enum Compression: Sendable, Equatable {
        case none, gzip, bzip2
    }

    /// The path given to `init` ("-" for standard input).
    public let path: String
    private let reader: OpaquePointer
    /// The descriptor opened for a byte range (closed with the reader), else -1.
    private var ownedDescriptor: Int32 = -1
    /// Bytes still allowed from a byte range; `nil` reads to the end.
    private var remaining: Int64?
    /// The copy of the input an in-memory source reads (freed with the reader), else nil.
    private var ownedBytes: UnsafeMutableRawBufferPointer?

    /// Opens `path` ("-" = standard input). Throws a one-line `NTPFormatError` naming the path
    /// for a nonexistent file, a directory or permission problems.
    public init(path: String) throws {
        self.path = path
        var err: Int32 = 0
        let r = path == "-" ? czip_open_fd(0, &err) : czip_open_path(path, &err)
        guard let r else {
            let hint: String
            switch err {
            case ENOENT: hint = "check the path"
            case EISDIR: hint = "give a file, not a directory"
            case EACCES: hint = "check the file's permissions"
            default: hint = "check the file"
            }
            throw NTPFormatError("cannot read \(displayName(path)): \(errnoText(err)) (\(hint))")
        }
        reader = r
    }

    /// Opens bytes `range` of the uncompressed file `path` (for sharding one large file).
    /// Throws when the file is compressed: its byte offsets do not map onto the text.
    public init(path: String, byteRange range: Range<Int64>) throws {
        self.path = path
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw NTPFormatError("cannot read \(displayName(path)): \(errnoText(errno)) (check the path)") }
        guard lseek(fd, off_t(range.lowerBound), SEEK_SET) == off_t(range.lowerBound) else {
            let e = errno; close(fd)
            throw NTPFormatError("cannot read \(displayName(path)): \(errnoText(e))")
        }
        var err: Int32 = 0
        guard let r = czip_open_fd(fd, &err) else {
            close(fd)
            throw NTPFormatError("cannot read \(displayName(path)): \(errnoText(err))")
        }
        reader = r
        ownedDescriptor = fd
        remaining = Int64(range.count)
        if range.lowerBound == 0 && czip_compression(r) != Int32(CZIP_NONE) {
            throw NTPFormatError("\(displayName(path)): a compressed file cannot be cut into byte ranges; decompress it or split it into several files")
        }
    }

    /// Reads `bytes` as if they were a file called `name` (same detection and decoding, same
    /// error messages): for tests and fuzzing, which would otherwise pay for a file per input.
    public init(bytes: [UInt8], name: String) throws {
        self.path = name
        let copy = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, bytes.count), alignment: 16)
        copy.copyBytes(from: bytes)
        var err: Int32 = 0
        guard let r = czip_open_memory(copy.baseAddress, bytes.count, &err) else {
            copy.deallocate()
            throw NTPFormatError("cannot read \(displayName(name)): \(errnoText(err))")
        }
        reader = r
        ownedBytes = copy
    }

    deinit {
        czip_close(reader)
        if ownedDescriptor >= 0 { close(ownedDescriptor) }
        ownedBytes?.deallocate()
    }

    /// Compression detected from the magic bytes (gzip 1f 8b, bzip2 "BZh", otherwise none).
    public var compression: Compression {
        switch czip_compression(reader) {
        case Int32(CZIP_GZIP): return .gzip
        case Int32(CZIP_BZIP2): return .bzip2
        default: return .none
        }
    }

    /// Reads decompressed bytes into `buffer`; returns how many (0 only at the end of the input).
    /// Throws on corrupt or truncated compressed data, naming the path and compressed offset.
    public func read(into buffer: UnsafeMutableRawBufferPointer) throws -> Int {
        guard let base = buffer.baseAddress, buffer.count > 0 else { return 0 }
        let wanted = remaining.map { min(Int64(buffer.count), $0) } ?? Int64(buffer.count)
        if wanted == 0 { return 0 }
        let n = czip_read(reader, base, Int(wanted))
        if n > 0, let r = remaining { remaining = r - Int64(n) }
        if n < 0 {
            let message = String(cString: czip_error_message(reader))
            throw NTPFormatError("\(displayName(path)): \(message) at compressed byte \(czip_error_offset(reader)); the file is damaged or incomplete, re-create or re-download it")
        }
        return Int(n)
    }

    /// Bytes of the (compressed) input consumed so far; compare with `compressedSize` for progress.
    public var compressedBytesRead: Int64 { czip_consumed(reader) }

    /// Size of the input file in bytes when it is a regular file; `nil` for pipes and stdin.
    public var compressedSize: Int64? {
        let s = czip_file_size(reader)
        return s < 0 ? nil : s
    }

    /// Reads everything that remains (convenience for small inputs and tests).
    public func readAll() throws -> [UInt8] {
        var out: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = try chunk.withUnsafeMutableBytes { try read(into: $0) }
            if n == 0 { return out }
            out.append(contentsOf: chunk[0..<n])
        }
    }
}

#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
