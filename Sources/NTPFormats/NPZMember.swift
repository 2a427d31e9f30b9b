#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import CZip

/// One member of an `.npz` being written: an array in memory, or a raw little-endian payload
/// already on disk (for arrays larger than the memory budget; see `NPZArchive.write`).
public enum NPZMember {
    case array(NPYArray)
    /// `descr` and `shape` as in an `.npy` header; `path` holds exactly the payload bytes.
    case file(descr: String, shape: [Int], path: String)
    /// A 1-D unicode array, encoded like `NPYArray(strings:)` but compressed as it is padded
    /// (numpy pads every string to the longest, which can make gigabytes of zeros).
    case strings([String])
    /// A little-endian payload of `byteCount` bytes that `pieces` hands to its argument in order;
    /// it is called twice (CRC-32, then copy). Arrays already in memory are written from their
    /// own storage this way (`integers`, `converted`), not copied into an `NPYArray` first: on the
    /// 106 MB bench file that copy was 200 MB of fresh pages, a third of `ingest`'s system time.
    case pieces(descr: String, shape: [Int], byteCount: Int, pieces: PayloadPieces)

    /// Calls its argument with consecutive pieces of a payload.
    public typealias PayloadPieces = ((UnsafeRawBufferPointer) throws -> Void) throws -> Void

    /// An integer array as a member, written from its own storage (little-endian machines).
    public static func integers<T: FixedWidthInteger>(_ values: [T], descr: String, shape: [Int]) -> NPZMember {
#if _endian(little)
        return .pieces(descr: descr, shape: shape, byteCount: values.count * MemoryLayout<T>.size) { body in
            try values.withUnsafeBytes { try body($0) }
        }
#else
        return converted(values, descr: descr, shape: shape) { $0.littleEndian }
#endif
    }

    /// `values` converted one by one (`convert` returns the little-endian value), a MiB at a time.
    public static func converted<Source, Item: BitwiseCopyable>(_ values: [Source], descr: String, shape: [Int],
                                                               _ convert: @escaping (Source) -> Item) -> NPZMember {
        let size = MemoryLayout<Item>.size
        return .pieces(descr: descr, shape: shape, byteCount: values.count * size) { body in
            let capacity = max(1, PayloadFile.chunk / MemoryLayout<Item>.stride)
            let buffer = UnsafeMutablePointer<Item>.allocate(capacity: capacity)
            defer { buffer.deallocate() }
            var start = 0
            while start < values.count {
                let n = min(capacity, values.count - start)
                for i in 0..<n { (buffer + i).initialize(to: convert(values[start + i])) }
                try body(UnsafeRawBufferPointer(start: buffer, count: n * size))
                start += n
            }
        }
    }

    var descr: String {
        switch self {
        case .array(let a): return a.descr
        case .file(let d, _, _): return d
        case .strings(let values): return "<U\(PaddedStrings.width(values))"
        case .pieces(let d, _, _, _): return d
        }
    }
    var shape: [Int] {
        switch self {
        case .array(let a): return a.shape
        case .file(_, let s, _): return s
        case .strings(let values): return [values.count]
        case .pieces(_, let s, _, _): return s
        }
    }
    var fortranOrder: Bool {
        if case .array(let a) = self { return a.fortranOrder }
        return false
    }
}

/// Streams a payload file in 1 MiB chunks (CRC-32 pass, copy pass).
enum PayloadFile {
    static let chunk = 1 << 20

    /// The CRC-32 of the file continuing `seed`, and its size.
    static func crc32(_ file: String, seed: UInt32, writing output: String) throws -> (UInt32, UInt64) {
        var crc = seed, size: UInt64 = 0
        try forEachChunk(file, writing: output) { bytes in
            crc = czip_crc32(crc, bytes.baseAddress, bytes.count)
            size += UInt64(bytes.count)
        }
        return (crc, size)
    }

    /// Appends the file's bytes to `sink`.
    static func copy(_ file: String, to sink: AtomicFileSink) throws {
        try forEachChunk(file, writing: sink.path) { try sink.write($0) }
    }

    private static func forEachChunk(_ file: String, writing output: String, _ body: (UnsafeRawBufferPointer) throws -> Void) throws {
        let fd = open(file, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw NTPFormatError("cannot write \(output): reading \(file): \(errnoText(errno))") }
        defer { close(fd) }
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
        defer { buffer.deallocate() }
        while true {
            let n = read(fd, buffer.baseAddress!, chunk)
            if n < 0 {
                if errno == EINTR { continue }
                throw NTPFormatError("cannot write \(output): reading \(file): \(errnoText(errno))")
            }
            if n == 0 { return }
            try body(UnsafeRawBufferPointer(rebasing: buffer[0..<n]))
        }
    }
}

/// The deflated payload of a `.strings` member, built without the padded array.
enum PaddedStrings {
    /// numpy's `<U` width: the longest string in unicode scalars, at least 1.
    static func width(_ values: [String]) -> Int { max(1, values.lazy.map { $0.unicodeScalars.count }.max() ?? 0) }

    /// Deflates (level 1) `header` and the UTF-32LE, NUL-padded strings; returns the compressed
    /// bytes, the CRC-32 of the uncompressed ones and their count.
    static func deflate(_ values: [String], header: [UInt8], writing output: String) throws -> (compressed: [UInt8], crc: UInt32, size: UInt64) {
        let width = Self.width(values)
        guard let d = czip_deflater_new(1) else { throw NTPFormatError("cannot write \(output): out of memory while compressing") }
        defer { czip_deflater_free(d) }
        var crc = header.withUnsafeBytes { czip_crc32(0, $0.baseAddress, $0.count) }
        var size = UInt64(header.count)
        func feed(_ bytes: UnsafeRawBufferPointer, finish: Bool) throws {
            crc = czip_crc32(crc, bytes.baseAddress, bytes.count)
            size += UInt64(bytes.count)
            guard czip_deflater_feed(d, bytes.baseAddress, bytes.count, finish ? 1 : 0) == 0 else {
                throw NTPFormatError("cannot write \(output): out of memory while compressing")
            }
        }
        guard czip_deflater_feed(d, header, header.count, values.isEmpty ? 1 : 0) == 0 else {
            throw NTPFormatError("cannot write \(output): out of memory while compressing")
        }
        // Strings go through a buffer of whole padded entries (about 1 MiB).
        let perBuffer = max(1, (1 << 20) / (4 * width))
        var buffer = [UInt32](repeating: 0, count: perBuffer * width)
        var start = 0
        while start < values.count {
            let end = min(values.count, start + perBuffer)
            for i in 0..<(end - start) * width { buffer[i] = 0 }
            for (row, value) in values[start..<end].enumerated() {
                for (k, c) in value.unicodeScalars.enumerated() { buffer[row * width + k] = c.value.littleEndian }
            }
            try buffer.withUnsafeBytes { try feed(UnsafeRawBufferPointer(rebasing: $0[0..<((end - start) * width * 4)]), finish: end == values.count) }
            start = end
        }
        var length = 0
        let out = czip_deflater_output(d, &length)!
        return (Array(UnsafeRawBufferPointer(start: out, count: length)), crc, size)
    }
}
