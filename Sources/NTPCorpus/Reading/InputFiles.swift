#if canImport(Glibc)
import Glibc
#endif

/// Expands command-line inputs into the files to read, in a deterministic order.
///
/// Directories are walked recursively; their entries are sorted bytewise and hidden entries
/// (names starting with ".") are skipped. Symbolic links are followed, but each directory is
/// walked once, identified by device and inode: a link to "." or "..", or a cycle of links,
/// adds nothing. "-" stands for standard input. A name that is not valid UTF-8 is refused, never
/// skipped: Swift's strings would repair it, and the repaired name names no file (QA round 15: a
/// Latin-1 `caf\xe9.txt` in a folder was left out without a word).
public enum InputFiles {
    public static func expand(_ inputs: [String]) throws -> [String] {
        guard !inputs.isEmpty else { throw CorpusError.option("no input given: name files, directories or - for standard input") }
        var files: [String] = []
        var walked = Set<DirectoryID>()
        for input in inputs {
            if input == "-" {
                // Standard input can be read once: a second "-" would read nothing (QA round 8).
                guard !files.contains("-") else { throw CorpusError.option("standard input (-) is named twice; name it once") }
                files.append(input); continue
            }
            var st = stat()
            guard stat(input, &st) == 0 else {
                let why = String(cString: strerror(errno))
                // The shell passed bytes that are not UTF-8; the argument parser replaced them with U+FFFD.
                if input.unicodeScalars.contains("\u{FFFD}") {
                    throw CorpusError.input(input, "\(why): its name is not valid UTF-8 (shown as �), and ntpsep reads names as UTF-8; rename the file (e.g. convmv -f latin1 -t utf-8)")
                }
                throw CorpusError.input(input, "\(why) (check the path)")
            }
            if st.st_mode & S_IFMT == S_IFDIR {
                let before = files.count
                try walk(input, into: &files, walked: &walked)
                if files.count == before { throw CorpusError.input(input, "directory contains no files") }
            } else {
                files.append(input)
            }
        }
        return files
    }

    /// One note per file of `files` that is a file read before it (the same device and inode: a name given
    /// twice, a link, or a folder that holds a file also named): it is counted again, as asked, but not silently
    /// (QA round 21: `ingest a.txt a.txt` doubled every count without a word).
    public static func repeatNotes(_ files: [String]) -> [String] {
        var first: [DirectoryID: String] = [:]
        var notes: [String] = []
        for file in files where file != "-" {
            var st = stat()
            guard stat(file, &st) == 0 else { continue }
            let id = DirectoryID(device: UInt64(st.st_dev), inode: UInt64(st.st_ino))
            if let earlier = first[id] {
                notes.append("\(file): the same file as \(earlier) (named twice, or a link to it), read and counted again; name it once to count it once")
            } else {
                first[id] = file
            }
        }
        return notes
    }

    /// A file name's bytes for a message: printable ASCII as is, every other byte (and the backslash) as \xNN.
    private static func escaped(_ bytes: [UInt8]) -> String {
        bytes.map { (0x20..<0x7f).contains($0) && $0 != UInt8(ascii: "\\") ? String(UnicodeScalar($0)) : "\\x" + ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
    }

    /// A file's or directory's identity, so that links cannot make the walk visit a directory twice.
    private struct DirectoryID: Hashable { let device: UInt64, inode: UInt64 }

    private static func walk(_ dir: String, into files: inout [String], walked: inout Set<DirectoryID>) throws {
        var own = stat()
        guard stat(dir, &own) == 0, walked.insert(DirectoryID(device: UInt64(own.st_dev), inode: UInt64(own.st_ino))).inserted else { return }
        guard let d = opendir(dir) else {
            throw CorpusError.input(dir, "cannot list directory: \(String(cString: strerror(errno)))")
        }
        defer { closedir(d) }
        var names: [String] = []
        while let e = readdir(d) {
            let bytes = withUnsafeBytes(of: e.pointee.d_name) { Array($0.prefix { $0 != 0 }) }
            if bytes.first == UInt8(ascii: ".") { continue }
            guard let name = String(validating: bytes, as: UTF8.self) else {
                throw CorpusError.input(dir, "holds \(escaped(bytes)), whose name is not valid UTF-8; rename it (e.g. convmv -f latin1 -t utf-8) or move it out: ntpsep reads names as UTF-8 and would not find it")
            }
            names.append(name)
        }
        names.sort { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        for name in names {
            let path = dir.hasSuffix("/") ? dir + name : dir + "/" + name
            var st = stat()
            guard stat(path, &st) == 0 else {
                throw CorpusError.input(path, "\(String(cString: strerror(errno))) (a symbolic link whose target is missing? remove the link)")
            }
            if st.st_mode & S_IFMT == S_IFDIR { try walk(path, into: &files, walked: &walked) }
            else if st.st_mode & S_IFMT == S_IFREG { files.append(path) }
        }
    }
}
