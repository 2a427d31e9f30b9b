#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// An output file being written atomically: bytes go to a hidden temporary file in the target's
/// directory, which is renamed over the target by `commit()` and deleted by `abandon()` (or when
/// the sink is released uncommitted). Readers therefore never see a half-written output.
/// Writes are buffered (1 MiB).
///
/// The target is checked first (`OutputTarget.resolve`): an input of the command, a directory,
/// FIFO, socket or block device is refused; a symlink is followed, so the file it points to is
/// replaced and the link stays; an existing character device (/dev/null, /dev/full) is written
/// into directly and never replaced by a regular file. The temporary file is named
/// `.NAME.tmp-HOST-PID-START-RANDOM` (see `TemporaryName`), is deleted if SIGINT, SIGTERM or
/// SIGHUP ends the process, and a later write into the same folder deletes stale ones this
/// host's dead processes left (SIGKILL, power loss).
public final class AtomicFileSink {
    /// The final path.
    public let path: String
    /// The temporary file, or nil when writing straight into a character device.
    private let tempPath: String?
    private let renameTarget: String
    private var fd: Int32
    private var signalSlot: Int32 = -1
    private var buffer: [UInt8] = []
    private var done = false
    /// Bytes written so far (including buffered ones).
    public private(set) var bytesWritten: Int64 = 0

    private static let bufferSize = 1 << 20

    /// Creates the temporary file. Throws a one-line "cannot write PATH: <why>; <what to do>" if
    /// that is impossible or the target must not be replaced.
    public init(path: String) throws {
        self.path = path
        switch try OutputTarget.resolve(path) {
        case .device(let device):
            let f = open(device, O_WRONLY | O_CLOEXEC | O_NOCTTY)
            guard f >= 0 else { throw NTPFormatError("cannot write \(path): \(errnoText(errno))") }
            tempPath = nil
            renameTarget = device
            fd = f
        case .replace(let target, let dir, let base):
            StaleTemporaries.sweepOnce(dir)
            var t: String
            var f: Int32
            var slot: Int32 = -1
            repeat {
                // A random suffix keeps concurrent writers (threads or processes) apart without shared state.
                let name = TemporaryName.make(for: base)
                t = dir.isEmpty ? name : (dir == "/" ? "/" : dir + "/") + name
                // Registered before it exists, so no instant has the file on disk but unknown to the handler.
                slot = SignalCleanup.register(t)
                f = open(t, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o666)
                if f < 0 { SignalCleanup.unregister(slot) }
            } while f < 0 && errno == EEXIST
            // QA round 21: `-o /proc/x.npz` said only "No such file or directory".
            guard f >= 0 else {
                throw NTPFormatError("cannot write \(path): \(errnoText(errno)) (creating a file in folder \(dir.isEmpty ? "." : dir)); choose a folder where you can create files")
            }
            tempPath = t
            renameTarget = target
            fd = f
            signalSlot = slot
            holdForTests(path)
        }
        buffer.reserveCapacity(AtomicFileSink.bufferSize)
    }

    deinit { if !done { abandon() } }

    /// Appends raw bytes.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard !done else { throw NTPFormatError("cannot write \(path): file already closed") }
        bytesWritten += Int64(bytes.count)
        if buffer.count + bytes.count <= AtomicFileSink.bufferSize {
            buffer.append(contentsOf: bytes)
            return
        }
        try flush()
        if bytes.count >= AtomicFileSink.bufferSize { try writeAll(bytes) } else { buffer.append(contentsOf: bytes) }
    }

    /// Appends a byte array.
    public func write(_ bytes: [UInt8]) throws { try bytes.withUnsafeBytes { try write($0) } }

    /// Appends a string as UTF-8.
    public func write(_ text: String) throws {
        var s = text
        try s.withUTF8 { try write(UnsafeRawBufferPointer($0)) }
    }

    private func flush() throws {
        if buffer.isEmpty { return }
        try buffer.withUnsafeBytes { try writeAll($0) }
        buffer.removeAll(keepingCapacity: true)
    }

    private func writeAll(_ bytes: UnsafeRawBufferPointer) throws {
        var off = 0
        while off < bytes.count {
            let n = Glibc_write(fd, bytes.baseAddress! + off, bytes.count - off)
            if n < 0 {
                if errno == EINTR { continue }
                let e = errno
                abandon()
                throw NTPFormatError("cannot write \(path): \(errnoText(e))")
            }
            off += n
        }
    }

    /// Flushes, closes and renames the temporary file over `path`.
    public func commit() throws {
        guard !done else { throw NTPFormatError("cannot write \(path): file already closed") }
        try flush()
        if close(fd) != 0 {
            let e = errno; fd = -1; abandon()
            throw NTPFormatError("cannot write \(path): \(errnoText(e))")
        }
        fd = -1
        if let tempPath {
            if rename(tempPath, renameTarget) != 0 {
                let e = errno; abandon()
                throw NTPFormatError("cannot write \(path): \(errnoText(e))")
            }
            SignalCleanup.unregister(signalSlot)
        }
        done = true
    }

    /// Discards everything written: closes and deletes the temporary file. Idempotent.
    public func abandon() {
        if done { return }
        done = true
        if fd >= 0 { close(fd); fd = -1 }
        if let tempPath {
            unlink(tempPath)
            SignalCleanup.unregister(signalSlot)
        }
    }
}

/// Test hook: with NTPSEP_TEST_HOLD_WRITE=SECONDS in the environment, every atomic write pauses
/// that long once its temporary file exists (only those whose path contains
/// NTPSEP_TEST_HOLD_WRITE_PATH, when that is set), so the CLI tests can deliver a signal (or
/// SIGKILL) at a known moment and check what is left behind.
private func holdForTests(_ path: String) {
    guard let text = getenv("NTPSEP_TEST_HOLD_WRITE"), let seconds = UInt32(String(cString: text)) else { return }
    if let part = getenv("NTPSEP_TEST_HOLD_WRITE_PATH"), !path.contains(String(cString: part)) { return }
    sleep(seconds)
}

@inline(__always) private func Glibc_write(_ fd: Int32, _ p: UnsafeRawPointer, _ n: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.write(fd, p, n)
    #else
    return Darwin.write(fd, p, n)
    #endif
}

/// Writes `path` atomically: `body` writes into a sink backed by a hidden temporary file in the
/// same directory, which is renamed to `path` when `body` returns and deleted if it throws.
/// An unwritable directory gives "cannot write PATH: Permission denied".
public func writeFileAtomically(path: String, _ body: (AtomicFileSink) throws -> Void) throws {
    let sink = try AtomicFileSink(path: path)
    do {
        try body(sink)
        try sink.commit()
    } catch {
        sink.abandon()
        throw error
    }
}

/// Writes `contents` to `path` atomically (see `writeFileAtomically(path:_:)`).
public func writeFileAtomically(path: String, contents: [UInt8]) throws {
    try writeFileAtomically(path: path) { try $0.write(contents) }
}

/// Writes `contents` as UTF-8 to `path` atomically (see `writeFileAtomically(path:_:)`).
public func writeFileAtomically(path: String, contents: String) throws {
    try writeFileAtomically(path: path) { try $0.write(contents) }
}

/// Reads a whole regular file into memory. Errors name the path and the reason.
public func readWholeFile(_ path: String) throws -> [UInt8] {
    let fd = open(path, O_RDONLY | O_CLOEXEC)
    guard fd >= 0 else { throw NTPFormatError("cannot read \(path): \(errnoText(errno))") }
    defer { close(fd) }
    var st = stat()
    guard fstat(fd, &st) == 0 else { throw NTPFormatError("cannot read \(path): \(errnoText(errno))") }
    if (st.st_mode & S_IFMT) == S_IFDIR { throw NTPFormatError("cannot read \(path): Is a directory (give a file)") }
    CommandInputs.register(st, path: path)
    let size = Int(st.st_size)
    var out = [UInt8](repeating: 0, count: size)
    var off = 0
    let ok: Bool = out.withUnsafeMutableBytes { buf in
        while off < size {
            let n = read(fd, buf.baseAddress! + off, size - off)
            if n < 0 { if errno == EINTR { continue }; return false }
            if n == 0 { break }
            off += n
        }
        return true
    }
    guard ok else { throw NTPFormatError("cannot read \(path): \(errnoText(errno))") }
    if off < size { out.removeLast(size - off) }
    return out
}
