#if canImport(Glibc)
import Glibc
#endif

/// Expands command-line inputs into the files to read, in a deterministic order.
///
/// Directories are walked recursively; their entries are sorted bytewise and hidden entries
/// (names starting with ".") are skipped. Symbolic links are followed, but each directory is
/// walked once, identified by device and inode: a link to "." or "..", or a cycle of links,
/// adds nothing. "-" stands for standard input.
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
                throw CorpusError.input(input, "\(String(cString: strerror(errno))) (check the path)")
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

    /// A directory's identity, so that links cannot make the walk visit it twice.
    private struct DirectoryID: Hashable { let device: UInt64, inode: UInt64 }

    private static func walk(_ dir: String, into files: inout [String], walked: inout Set<DirectoryID>) throws {
        var own = stat()
        guard stat(dir, &own) == 0, walked.insert(DirectoryID(device: UInt64(own.st_dev), inode: UInt64(own.st_ino))).inserted else { return }
        guard let d = opendir(dir) else {
            throw CorpusError.input(dir, "cannot list directory: \(String(cString: strerror(errno)))")
        }
        var names: [String] = []
        while let e = readdir(d) {
            let name = withUnsafeBytes(of: e.pointee.d_name) { raw in
                String(cString: raw.baseAddress!.assumingMemoryBound(to: CChar.self))
            }
            if name.hasPrefix(".") { continue }
            names.append(name)
        }
        closedir(d)
        names.sort { Array($0.utf8).lexicographicallyPrecedes(Array($1.utf8)) }
        for name in names {
            let path = dir.hasSuffix("/") ? dir + name : dir + "/" + name
            var st = stat()
            guard stat(path, &st) == 0 else { continue }
            if st.st_mode & S_IFMT == S_IFDIR { try walk(path, into: &files, walked: &walked) }
            else if st.st_mode & S_IFMT == S_IFREG { files.append(path) }
        }
    }
}
