#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif

/// An output folder built whole or not at all: files are written into a hidden staging folder
/// `.NAME.tmp-HOST-PID-START-RANDOM` next to it, which `commit()` renames to the folder (or, when
/// the folder already exists, whose files it moves in one by one). A failure (`abandon()`, or
/// releasing it uncommitted) deletes the staging folder and the parents this run created; SIGINT,
/// SIGTERM and SIGHUP do the same through `SignalCleanup`. So a failed `analyze -o DIR` leaves
/// neither an empty nor a partial DIR.
public final class OutputFolder {
    /// The folder the outputs end up in.
    public let path: String
    /// Where the outputs are written until `commit()`.
    public let staging: String
    private var createdParents: [String] = []
    private var slots: [Int32] = []
    private var names: [String] = []
    private var done = false

    /// Creates the staging folder (and missing parents of `path`). Refuses a `path` that exists
    /// and is not a folder, with a one-line error.
    public init(path: String) throws {
        let trimmed = path.count > 1 && path.hasSuffix("/") ? String(path.dropLast()) : path
        self.path = trimmed
        func fail(_ why: String) -> NTPFormatError { NTPFormatError("cannot write folder \(path): \(why)") }
        var st = stat()
        if stat(trimmed, &st) == 0 && (st.st_mode & S_IFMT) != S_IFDIR {
            throw fail("it exists and is not a folder; give a folder name")
        }
        let slash = trimmed.lastIndex(of: "/")
        let parent = slash.map { $0 == trimmed.startIndex ? "/" : String(trimmed[..<$0]) } ?? ""
        let base = slash.map { String(trimmed[trimmed.index(after: $0)...]) } ?? trimmed
        guard !base.isEmpty, base != ".", base != ".." else { throw fail("not a folder name") }
        SignalCleanup.install()
        // Missing parents, outermost first; each is registered so a signal removes it if still empty.
        var created: [String] = [], registered: [Int32] = []
        func undo() {
            for dir in created.reversed() { rmdir(dir) }
            registered.forEach(SignalCleanup.unregister)
        }
        var missing: [String] = []
        var p = parent
        while !p.isEmpty && p != "/" && stat(p, &st) != 0 {
            missing.append(p)
            p = p.lastIndex(of: "/").map { String(p[..<$0]) } ?? ""
        }
        for dir in missing.reversed() {
            guard mkdir(dir, 0o777) == 0 || errno == EEXIST else {
                let e = errno; undo()
                throw fail("cannot create \(dir): \(errnoText(e))")
            }
            created.append(dir)
            registered.append(SignalCleanup.register(dir, directory: true))
        }
        StaleTemporaries.sweepOnce(parent)
        // The staging folder is registered before it exists: a signal between its mkdir and a later
        // registration left it, and so its parents, behind (a parallel test run under load did).
        var s: String, slot: Int32
        while true {
            let name = TemporaryName.make(for: base)
            s = parent.isEmpty ? name : (parent == "/" ? "/" : parent + "/") + name
            slot = SignalCleanup.register(s, directory: true)
            if mkdir(s, 0o777) == 0 { break }
            let e = errno
            SignalCleanup.unregister(slot)
            guard e == EEXIST else {
                undo()
                throw fail(errnoText(e) + " (folder \(parent.isEmpty ? "." : parent))")
            }
        }
        staging = s
        createdParents = created
        slots = registered + [slot]
    }

    deinit { if !done { abandon() } }

    /// The staging path of the output called `name` (registered, so a signal deletes it). A name
    /// may contain folders ("certificates/x.npz"): they are created in the staging folder now, and
    /// in `path` at `commit()` when it already exists.
    public func file(_ name: String) -> String {
        let p = staging + "/" + name
        if !names.contains(name) {
            names.append(name)
            // Registered too: a signal removes files first, then folders, innermost first.
            for folder in Self.makeFolders(of: name, under: staging) { slots.append(SignalCleanup.register(folder, directory: true)) }
            slots.append(SignalCleanup.register(p))
        }
        return p
    }

    /// Creates the folders of the relative file name `name` under `root` (those that exist are kept)
    /// and returns the ones it created, outermost first; a failure shows up when the file is written.
    @discardableResult
    private static func makeFolders(of name: String, under root: String) -> [String] {
        var prefix = root, created: [String] = []
        for part in name.split(separator: "/").dropLast() {
            prefix += "/" + part
            if mkdir(prefix, 0o777) == 0 { created.append(prefix) }
        }
        return created
    }

    /// Moves the outputs into `path`: one rename when the folder is new, else file by file.
    public func commit() throws {
        guard !done else { return }
        var st = stat()
        if stat(path, &st) != 0 {
            guard rename(staging, path) == 0 else {
                let e = errno; abandon()
                throw NTPFormatError("cannot write folder \(path): \(errnoText(e))")
            }
        } else {
            for name in names {
                Self.makeFolders(of: name, under: path)
                guard rename(staging + "/" + name, path + "/" + name) == 0 else {
                    let e = errno; abandon()
                    throw NTPFormatError("cannot write \(path)/\(name): \(errnoText(e)); the other outputs are unchanged or complete")
                }
            }
            removeTree(staging)
        }
        done = true
        slots.forEach(SignalCleanup.unregister)
    }

    /// Deletes the staging folder and the parents this run created. Idempotent.
    public func abandon() {
        if done { return }
        done = true
        removeTree(staging)
        removeCreated()
        slots.forEach(SignalCleanup.unregister)
    }

    private func removeCreated() {
        for dir in createdParents.reversed() { rmdir(dir) }
        createdParents.removeAll()
    }
}
