#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import Synchronization

/// The files the running command reads. An output that is one of them (same device and inode,
/// symlinks and hard links included) is refused, so `ingest X -o X` or `solve DATA -o DATA`
/// cannot destroy the input. Commands register their input paths before any work; the .npy/.npz
/// readers register every file they read as well.
public enum CommandInputs {
    /// A file's identity.
    private struct FileID: Hashable { let device: UInt64, inode: UInt64 }
    /// Each registered file and the first path it was registered under (a dictionary: commands
    /// may name tens of thousands of inputs).
    private static let files = Mutex<[FileID: String]>([:])

    /// Records `paths` (those that exist; "-" is standard input and skipped).
    public static func register(_ paths: [String]) {
        for path in paths where path != "-" {
            var st = stat()
            if stat(path, &st) == 0 { register(st, path: path) }
        }
    }

    /// Records an opened file by its `stat`.
    static func register(_ st: stat, path: String) {
        let key = FileID(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
        files.withLock { table in if table[key] == nil { table[key] = path } }
    }

    /// The registered input with this device and inode, if any.
    static func input(device: UInt64, inode: UInt64) -> String? {
        files.withLock { $0[FileID(device: device, inode: inode)] }
    }

    /// Forgets the input at `path`: it was read whole and may now be replaced (a checkpoint
    /// superseded by the next one of the same run).
    public static func release(_ path: String) {
        var st = stat()
        guard stat(path, &st) == 0 else { return }
        _ = files.withLock { $0.removeValue(forKey: FileID(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))) }
    }

    /// Forgets every registration (tests that run several commands in one process).
    public static func reset() { files.withLock { $0.removeAll() } }
}

/// Where an output goes, decided once before anything is written.
enum OutputTarget {
    /// A regular file (or a new name) written through a temporary file in `directory` and renamed
    /// to `path`, the target with symlinks resolved (so a symlinked output stays a symlink).
    case replace(path: String, directory: String, base: String)
    /// An existing character device (/dev/null, /dev/full, a terminal): written into directly,
    /// never replaced. Errors (e.g. ENOSPC from /dev/full) are reported as for a file.
    case device(path: String)

    /// Resolves `path` and refuses what must not be written: an input of the command, a directory,
    /// FIFO, socket or block device, a dangling symlink, a folder that does not exist or is not
    /// writable. Every error is one line naming `path` and what to do.
    static func resolve(_ path: String) throws -> OutputTarget {
        func fail(_ why: String) -> NTPFormatError { NTPFormatError("cannot write \(path): \(why)") }
        var target = path
        var st = stat()
        // Follow symlinks, so the file a link names is replaced and the link stays; a link to a
        // name that does not exist yet creates that file.
        var hops = 0
        while lstat(target, &st) == 0 && (st.st_mode & S_IFMT) == S_IFLNK {
            hops += 1
            var buffer = [CChar](repeating: 0, count: Int(PATH_MAX) + 1)
            let n = readlink(target, &buffer, buffer.count - 1)
            guard hops <= 40, n > 0 else { throw fail("too many levels of symlinks; give the real path") }
            let link = String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self)
            if link.hasPrefix("/") { target = link } else if let slash = target.lastIndex(of: "/") {
                target = String(target[...slash]) + link
            } else { target = link }
        }
        if stat(target, &st) == 0 {
            if let input = CommandInputs.input(device: UInt64(st.st_dev), inode: UInt64(st.st_ino)) {
                let same = input == path ? "" : " (\(input))"
                throw fail("it is an input of this command\(same); choose another output path")
            }
            switch st.st_mode & S_IFMT {
            case S_IFREG: break
            case S_IFCHR: return .device(path: target)
            case S_IFDIR: throw fail("it is a directory; give a file name")
            case S_IFIFO: throw fail("it is a FIFO; ntpsep writes regular files (or character devices such as /dev/null)")
            case S_IFBLK: throw fail("it is a block device; ntpsep never writes to one")
            case S_IFSOCK: throw fail("it is a socket; give a regular file")
            default: throw fail("it is not a regular file; give a regular file")
            }
        }
        let slash = target.lastIndex(of: "/")
        let directory = slash.map { $0 == target.startIndex ? "/" : String(target[..<$0]) } ?? ""
        let base = slash.map { String(target[target.index(after: $0)...]) } ?? target
        guard !base.isEmpty, base != ".", base != ".." else { throw fail("not a file name") }
        let shownDirectory = directory.isEmpty ? "." : directory
        guard stat(shownDirectory, &st) == 0 else { throw fail("folder \(shownDirectory) does not exist; create it first") }
        // QA round 21: `-o FILE/x.npz` said that the folder FILE does not exist.
        guard (st.st_mode & S_IFMT) == S_IFDIR else { throw fail("\(shownDirectory) is a file, not a folder; choose a path in a folder") }
        guard access(shownDirectory, W_OK) == 0 else { throw fail("\(errnoText(errno)) (folder \(shownDirectory))") }
        return .replace(path: target, directory: directory, base: base)
    }
}

/// Fails early, before hours of work, when `path` cannot be an output of this command: see
/// `OutputTarget.resolve` for what is refused. Call it after `CommandInputs.register`.
public func checkOutputPath(_ path: String) throws {
    _ = try OutputTarget.resolve(path)
}

/// A temporary name next to an output, for writers with their own file code (count parts): the
/// target is checked as for `AtomicFileSink` (inputs, non-regular files, symlinks followed), the
/// name follows `TemporaryName` and is registered with `SignalCleanup`, and stale temporaries of
/// the folder are swept. The caller creates the file at `path`, then calls `commit()` (rename
/// into place) or `abandon()` (delete).
public final class TemporaryOutputPath {
    /// Where the caller writes.
    public let path: String
    /// The output, symlinks resolved.
    public let target: String
    private var slot: Int32
    private var done = false

    /// Reserves the name; throws a one-line error when `output` must not be written.
    public init(for output: String) throws {
        guard case .replace(let resolved, let dir, let base) = try OutputTarget.resolve(output) else {
            throw NTPFormatError("cannot write \(output): it is a device; give a regular file name")
        }
        StaleTemporaries.sweepOnce(dir)
        let name = TemporaryName.make(for: base)
        path = dir.isEmpty ? name : (dir == "/" ? "/" : dir + "/") + name
        target = resolved
        slot = SignalCleanup.register(path)
    }

    deinit { if !done { abandon() } }

    /// Renames the written file to the output.
    public func commit() throws {
        guard rename(path, target) == 0 else {
            let e = errno; abandon()
            throw NTPFormatError("cannot write \(target): \(errnoText(e))")
        }
        done = true
        SignalCleanup.unregister(slot)
    }

    /// Deletes the temporary file (if written). Idempotent.
    public func abandon() {
        if done { return }
        done = true
        unlink(path)
        SignalCleanup.unregister(slot)
    }
}
