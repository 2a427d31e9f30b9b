#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import CSupport

/// A private, flat folder for sorted runs, created inside `--temp-dir` and removed with
/// everything in it on success, on failure (when released) and on SIGINT/SIGTERM/SIGHUP/SIGQUIT.
public final class SpillFolder {
    /// The folder holding the runs (`PARENT/ntpsep-XXXXXX`).
    public let path: String
    /// The folder the user chose (named in errors about space).
    public let parent: String
    private var nextFile = 0
    private var removed = false

    /// Creates the folder in `parent` (default: `$TMPDIR`, else /tmp).
    public init(parent: String? = nil) throws {
        let base = parent ?? SpillFolder.systemTempFolder
        self.parent = base
        var template = Array((base.hasSuffix("/") ? base : base + "/").utf8CString.dropLast()) + Array("ntpsep-XXXXXX".utf8CString)
        guard let made = template.withUnsafeMutableBufferPointer({ mkdtemp($0.baseAddress!) }) else {
            throw CorpusError.option("cannot create a folder for temporary runs in \(base): \(String(cString: strerror(errno))) (choose another with --temp-dir DIR)")
        }
        path = String(cString: made)
        if ntp_remove_on_signal(path) != 0 {
            rmdir(path)
            throw CorpusError.option("too many temporary folders at once (16)")
        }
    }

    deinit { remove() }

    /// `$TMPDIR` when set, else /tmp.
    public static var systemTempFolder: String {
        if let t = getenv("TMPDIR"), t.pointee != 0 { return String(cString: t) }
        return "/tmp"
    }

    /// A new file name inside the folder (not created).
    func newFile(_ stem: String) -> String {
        nextFile += 1
        return "\(path)/\(stem)-\(nextFile)"
    }

    /// Deletes the folder and its files. Idempotent.
    public func remove() {
        guard !removed else { return }
        removed = true
        if let dir = opendir(path) {
            while let entry = readdir(dir) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { String(cString: $0.bindMemory(to: CChar.self).baseAddress!) }
                if name != "." && name != ".." { unlink(path + "/" + name) }
            }
            closedir(dir)
        }
        rmdir(path)
        ntp_forget_on_signal(path)
    }

    /// The error for a failed write or read of a run file (a full disk names the temp folder).
    func failure(_ code: Int32, _ file: String) -> CorpusError {
        if code == ENOSPC || code == EDQUOT {
            return .option("the temporary folder \(parent) is full (\(String(cString: strerror(code))) while writing sorted runs); free space there or pass --temp-dir DIR on a larger disk")
        }
        return .option("temporary run \(file): \(String(cString: strerror(code))) (check --temp-dir \(parent))")
    }
}
