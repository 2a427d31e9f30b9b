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

/// A folder-friendly name for the inputs: one input's file name without its extensions; several
/// inputs' deepest common folder (`…/krusader/*.docbook` → "krusader"), else the first one's name
/// and how many more.
public func corpusName(_ inputs: [String]) -> String {
    func stem(_ path: String) -> String {
        var base = URL(fileURLWithPath: path).lastPathComponent
        for ext in [".gz", ".bz2", ".txt", ".xml", ".bin", ".npy"] where base.hasSuffix(ext) { base.removeLast(ext.count) }
        return base.isEmpty ? "corpus" : base
    }
    guard inputs.count > 1 else { return stem(inputs.first ?? "") }
    let folders = inputs.map { URL(fileURLWithPath: $0).standardizedFileURL.deletingLastPathComponent().pathComponents }
    var common = folders[0]
    for folder in folders.dropFirst() { common = Array(zip(common, folder).prefix { $0 == $1 }.map(\.0)) }
    if common.count > 1, let last = common.last { return last }
    return "\(stem(inputs[0]))-and-\(inputs.count - 1)-more"
}
