import Foundation

/// Checks the output folder `path` of `option` ("--out") before any work: every part of it that
/// exists must be a folder. One-line error naming the folder (Foundation's createDirectory would
/// print "NSCocoaErrorDomain Code=516 …"). The folder itself is made by `OutputFolder`, at the end.
func checkOutputDirectory(_ path: String, option: String) throws {
    var prefix = path.hasPrefix("/") ? "/" : ""
    for part in path.split(separator: "/") {
        prefix += part
        var st = stat()
        guard stat(prefix, &st) == 0 else { return }
        guard st.st_mode & S_IFMT == S_IFDIR else {
            throw CLIError("\(option) \(path): \(prefix) is a file, not a folder; give another folder name")
        }
        prefix += "/"
    }
}
