#if canImport(Glibc)
import Glibc
#endif
import NTPFormats

/// Registers the command's inputs (an output that is one of them is refused), then checks every
/// output path before any work is done, so a bad one fails in a second, not after hours: see
/// `checkOutputPath` for what is refused. Two outputs with the same path are refused too.
/// `embedding` is the --embedding spec, whose `file:H.npy` is an input as well.
func checkOutputs(_ outputs: [String?], inputs: [String?], embedding: String? = nil) throws {
    var all = inputs.compactMap { $0 }
    if let embedding, embedding.hasPrefix("file:") { all.append(String(embedding.dropFirst(5))) }
    CommandInputs.register(all)
    let paths = outputs.compactMap { $0 }
    for (i, path) in paths.enumerated() {
        if paths[..<i].contains(path) { throw CLIError("cannot write \(path) twice: two outputs have the same path; give each its own") }
        try checkOutputPath(path)
    }
}

/// True when both paths name the same existing file (device and inode).
func sameFile(_ a: String, _ b: String) -> Bool {
    var x = stat(), y = stat()
    return stat(a, &x) == 0 && stat(b, &y) == 0 && x.st_dev == y.st_dev && x.st_ino == y.st_ino
}
