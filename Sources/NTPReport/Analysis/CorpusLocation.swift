import Foundation

/// corpora/data/kjv.txt, looked for from the current folder upwards and next to the executable.
public func defaultCorpus() throws -> String {
    let relative = "corpora/data/kjv.txt"
    var starts = [FileManager.default.currentDirectoryPath]
    starts.append(URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent().path)
    for start in starts {
        var url = URL(fileURLWithPath: start)
        for _ in 0..<8 {
            let candidate = url.appendingPathComponent(relative).path
            if FileManager.default.fileExists(atPath: candidate) { return candidate }
            url.deleteLastPathComponent()
        }
    }
    throw UserError("the default corpus \(relative) was not found: run corpora/fetch.sh default in the ntpsep checkout, or name a corpus")
}

/// A folder-friendly name for the inputs.
public func corpusName(_ inputs: [String]) -> String {
    var base = URL(fileURLWithPath: inputs[0]).lastPathComponent
    for ext in [".gz", ".bz2", ".txt", ".xml", ".bin", ".npy"] where base.hasSuffix(ext) { base.removeLast(ext.count) }
    return base.isEmpty ? "corpus" : base
}
