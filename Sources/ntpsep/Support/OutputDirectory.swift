import Foundation

/// Creates the output folder `path` and its missing parents for `option` ("--out"), with a
/// one-line error naming the folder and the system's reason (Foundation's createDirectory
/// would print "NSCocoaErrorDomain Code=516 …").
func createOutputDirectory(_ path: String, option: String) throws {
    var prefix = path.hasPrefix("/") ? "/" : ""
    for part in path.split(separator: "/") {
        prefix += part
        var st = stat()
        if stat(prefix, &st) == 0 {
            guard st.st_mode & S_IFMT == S_IFDIR else {
                throw CLIError("\(option) \(path): \(prefix) is a file, not a folder; give another folder name")
            }
        } else if mkdir(prefix, 0o777) != 0 && errno != EEXIST {
            throw CLIError("\(option) \(path): cannot create the folder \(prefix): \(String(cString: strerror(errno))) (check the path and its permissions)")
        }
        prefix += "/"
    }
}
