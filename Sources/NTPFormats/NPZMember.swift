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

    var descr: String {
        switch self { case .array(let a): return a.descr; case .file(let d, _, _): return d }
    }
    var shape: [Int] {
        switch self { case .array(let a): return a.shape; case .file(_, let s, _): return s }
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
