#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// An `.npy` payload being written to a temporary file: little-endian Int32 or Int64 values,
/// buffered (256 KiB).
final class RawArrayFile {
    let path: String
    private let folder: SpillFolder
    private var fd: Int32
    private let buffer: UnsafeMutablePointer<UInt8>
    private var used = 0
    private static let bufferSize = 1 << 18
    /// Values written.
    private(set) var count = 0

    init(in folder: SpillFolder, stem: String) throws {
        self.folder = folder
        path = folder.newFile(stem)
        fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard fd >= 0 else { throw folder.failure(errno, path) }
        buffer = .allocate(capacity: Self.bufferSize)
    }

    deinit { buffer.deallocate(); if fd >= 0 { Glibc.close(fd) } }

    @inline(__always)
    func append(int32 value: Int32) throws {
        if used + 4 > Self.bufferSize { try flush() }
        UnsafeMutableRawPointer(buffer + used).storeBytes(of: value.littleEndian, as: Int32.self)
        used += 4; count += 1
    }

    @inline(__always)
    func append(int64 value: Int64) throws {
        if used + 8 > Self.bufferSize { try flush() }
        UnsafeMutableRawPointer(buffer + used).storeBytes(of: value.littleEndian, as: Int64.self)
        used += 8; count += 1
    }

    private func flush() throws {
        var offset = 0
        while offset < used {
            let n = write(fd, buffer + offset, used - offset)
            if n < 0 {
                if errno == EINTR { continue }
                throw folder.failure(errno, path)
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
        if failed { throw folder.failure(code, path) }
    }
}
