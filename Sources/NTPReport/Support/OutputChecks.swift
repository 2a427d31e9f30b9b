import Foundation
import NTPFormats

/// Registers the command's inputs (an output that is one of them is refused), then checks every
/// output path before any work is done, so a bad one fails in a second, not after hours: see
/// `checkOutputPath` for what is refused. Two outputs with the same path are refused too.
/// `embedding` is the --embedding spec, whose `file:H.npy` is an input as well.
public func checkOutputs(_ outputs: [String?], inputs: [String?], embedding: String? = nil) throws {
    var all = inputs.compactMap { $0 }
    if let embedding, embedding.hasPrefix("file:") { all.append(String(embedding.dropFirst(5))) }
    CommandInputs.register(all)
    let paths = outputs.compactMap { $0 }
    let places = paths.map(resolvedPlace)
    for (i, path) in paths.enumerated() {
        if let j = places[..<i].firstIndex(of: places[i]) {
            let named = paths[j] == path ? "" : " (\(paths[j]) is the same file)"
            throw UserError("cannot write \(path) twice: two outputs have the same path\(named); give each its own")
        }
        try checkOutputPath(path)
    }
}

/// Where `path` writes: its folder with symbolic links and `.`/`..` resolved, then its name, a symbolic link
/// followed to its target even when that does not exist yet (QA round 18: `out/a.npz` and `./out/a.npz`, or a
/// link to it, passed as two outputs, and one overwrote the other). The path as given when its folder does not exist.
func resolvedPlace(_ path: String) -> String {
    var place = path
    for _ in 0..<16 {
        var st = stat()
        guard lstat(place, &st) == 0, st.st_mode & S_IFMT == S_IFLNK,
              let target = try? FileManager.default.destinationOfSymbolicLink(atPath: place) else { break }
        place = target.hasPrefix("/") ? target : URL(fileURLWithPath: place).deletingLastPathComponent().path + "/" + target
    }
    let url = URL(fileURLWithPath: place)
    guard let folder = realpath(url.deletingLastPathComponent().path, nil) else { return place }
    defer { free(folder) }
    return String(cString: folder) + "/" + url.lastPathComponent
}

/// True when both paths name the same existing file (device and inode).
public func sameFile(_ a: String, _ b: String) -> Bool {
    var x = stat(), y = stat()
    return stat(a, &x) == 0 && stat(b, &y) == 0 && x.st_dev == y.st_dev && x.st_ino == y.st_ino
}

/// Checks the output folder `path` of `option` ("--output") before any work: every part of it that
/// exists must be a folder. One-line error naming the folder (Foundation's createDirectory would
/// print "NSCocoaErrorDomain Code=516 …"). The folder itself is made by `OutputFolder`, at the end.
public func checkOutputDirectory(_ path: String, option: String) throws {
    var prefix = path.hasPrefix("/") ? "/" : ""
    for part in path.split(separator: "/") {
        prefix += part
        var st = stat()
        guard stat(prefix, &st) == 0 else { return }
        guard st.st_mode & S_IFMT == S_IFDIR else {
            throw UserError("\(option) \(path): \(prefix) is a file, not a folder; give another folder name")
        }
        prefix += "/"
    }
}
