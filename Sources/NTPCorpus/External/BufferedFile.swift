#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import NTPFormats

/// A new file written through a buffer with plain `write(2)` calls; errors are made by
/// `failure` from the errno (so a spill names the temp folder, a part its own path).
final class BufferedFile {
    let path: String
    private let failure: (Int32) -> Error
    private var fd: Int32
    /// The buffer; callers write at `used` after `reserve`.
    let buffer: UnsafeMutablePointer<UInt8>
    private let capacity: Int
    var used = 0
    /// The CRC-32 of every byte flushed so far (see `flushAndChecksum`); kept only when asked for,
    /// since spilled runs are read back by this process and need none.
    private(set) var checksum: UInt32 = 0
    private let checksummed: Bool

    init(path: String, header: [UInt8] = [], capacity: Int, checksummed: Bool = false, failure: @escaping (Int32) -> Error) throws {
        self.path = path
        self.failure = failure
        self.checksummed = checksummed
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw failure(errno) }
        self.capacity = max(capacity, header.count + 64)
        buffer = .allocate(capacity: self.capacity)
        header.withUnsafeBufferPointer { if let base = $0.baseAddress { buffer.update(from: base, count: $0.count) } }
        used = header.count
    }

    deinit { buffer.deallocate(); if fd >= 0 { Glibc.close(fd) } }

    /// Makes room for `bytes` more bytes in the buffer.
    @inline(__always)
    func reserve(_ bytes: Int) throws { if used + bytes > capacity { try flush() } }

    /// Writes out the buffer; `checksum` then covers every byte of the file so far.
    func flushAndChecksum() throws {
        precondition(checksummed, "flushAndChecksum on a file made without checksummed: true")
        try flush()
    }

    private func flush() throws {
        if checksummed { checksum = crc32(UnsafeRawBufferPointer(start: buffer, count: used), continuing: checksum) }
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
