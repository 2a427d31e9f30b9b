#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import CSupport
import Synchronization

/// Names of the temporary files and folders ntpsep writes next to its outputs:
/// `.NAME.tmp-HOST-PID-START-RANDOM`, where START is the process's start time in clock ticks
/// since boot. A folder may be shared by workers on several machines, so a leftover is known to
/// be stale only when HOST is this machine and no live process has that PID and start time (a
/// PID alone may have been recycled).
enum TemporaryName {
    /// This machine's name, with characters that would break a file name or the parse replaced.
    static let host: String = {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        let name = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        let safe = String(name.map { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "_") ? $0 : "_" })
        return safe.isEmpty ? "localhost" : safe
    }()

    /// Identity of this process.
    static let pid = getpid()
    static let start = max(0, ntp_process_start_ticks(getpid()))

    /// Longest part of the output's own name kept in the temporary name, so that the suffix
    /// (about 60 bytes) cannot push it past NAME_MAX (255).
    private static let baseLimit = 150

    /// A fresh temporary name for an output called `base`.
    static func make(for base: String) -> String {
        let kept = base.utf8.count <= baseLimit ? base : String(decoding: Array(base.utf8.prefix(baseLimit)), as: UTF8.self)
        let random = String(UInt64.random(in: 0...UInt64.max), radix: 36)
        return ".\(kept).tmp-\(host)-\(pid)-\(start)-\(random)"
    }

    /// The PID and start time in `entry` when it is a temporary name of this host, else nil.
    static func owner(of entry: String) -> (pid: Int32, start: Int64)? {
        let bytes = Array(entry.utf8), marker = Array(".tmp-\(host)-".utf8)
        guard bytes.first == UInt8(ascii: "."), bytes.count > marker.count + 1 else { return nil }
        var at = bytes.count - marker.count
        while at >= 1 && !bytes[at..<(at + marker.count)].elementsEqual(marker) { at -= 1 }
        guard at >= 1 else { return nil }
        let fields = String(decoding: bytes[(at + marker.count)...], as: UTF8.self).split(separator: "-", omittingEmptySubsequences: false)
        guard fields.count == 3, let pid = Int32(fields[0]), let start = Int64(fields[1]),
              !fields[2].isEmpty, fields[2].allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) else { return nil }
        return (pid, start)
    }

    /// True when `entry` is ours (this host) and its process is gone: no such PID, or a PID now
    /// used by a process that started at another time.
    static func isStale(_ entry: String) -> Bool {
        guard let (pid, start) = owner(of: entry) else { return false }
        if pid == TemporaryName.pid && start == TemporaryName.start { return false }
        if kill(pid, 0) != 0 && errno == ESRCH { return true }
        let now = ntp_process_start_ticks(pid)
        return now >= 0 && now != start
    }
}

/// Removes stale temporaries (see `TemporaryName.isStale`) from folders this process writes into,
/// once per folder per run, so a crashed or killed earlier run leaves nothing behind for long.
enum StaleTemporaries {
    private static let swept = Mutex<Set<String>>([])

    /// Sweeps `directory` ("" = the working directory) unless this run already did.
    static func sweepOnce(_ directory: String) {
        let first = swept.withLock { $0.insert(directory).inserted }
        guard first else { return }
        for name in entryNames(directory.isEmpty ? "." : directory) where TemporaryName.isStale(name) {
            removeTree(directory.isEmpty ? name : directory + "/" + name)
        }
    }
}

/// The names in a folder, without "." and ".." (empty when it cannot be read).
private func entryNames(_ directory: String) -> [String] {
    guard let dir = opendir(directory) else { return [] }
    defer { closedir(dir) }
    var names: [String] = []
    while let entry = readdir(dir) {
        let name = withUnsafeBytes(of: entry.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
        if name != "." && name != ".." { names.append(name) }
    }
    return names
}

/// Deletes a file, or a folder with everything in it (symlinks are removed, never followed).
func removeTree(_ path: String) {
    var st = stat()
    guard lstat(path, &st) == 0 else { return }
    if (st.st_mode & S_IFMT) == S_IFDIR {
        for name in entryNames(path) { removeTree(path + "/" + name) }
        rmdir(path)
    } else {
        unlink(path)
    }
}

/// The process-wide signal handling that keeps catchable signals from leaving temporaries behind
/// (SIGINT, SIGTERM, SIGHUP, and the crash signals SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV:
/// registered temporaries are deleted, then the signal ends the process as it would have), and the
/// deferred Ctrl-C of long runs that checkpoint.
public enum SignalCleanup {
    /// Installs the handler (idempotent; every atomic write calls it).
    public static func install() { ntp_cleanup_install() }

    /// Registers a temporary file (or folder) to delete on a signal; returns its slot.
    static func register(_ path: String, directory: Bool = false) -> Int32 {
        install()
        return ntp_cleanup_add(path, directory ? 1 : 0)
    }

    /// Forgets a registration (after a rename into place or a deletion).
    static func unregister(_ slot: Int32) { ntp_cleanup_remove(slot) }

    /// From now on the first SIGINT only raises `interruptRequested` (a training loop then writes
    /// its checkpoint and outputs); a second SIGINT, or SIGTERM/SIGHUP, cleans up and ends the run.
    public static func deferFirstInterrupt() { ntp_cleanup_defer_first_sigint() }

    /// True once a deferred SIGINT has arrived.
    public static var interruptRequested: Bool { ntp_cleanup_interrupt_requested() != 0 }

    /// Clears `interruptRequested` (tests, or a caller that handled it).
    public static func resetInterrupt() { ntp_cleanup_reset_interrupt() }
}
