import NTPCore
import NTPFormats

/// Which contexts of a data set `check` and `sweep` keep: a seeded subset of at most `maxContexts`,
/// chosen by `choice`, among those seen at least `minContextCount` times.
public struct ContextSelection: Sendable {
    var maxContexts: Int?
    var minContextCount: Double
    var seed: UInt64
    /// nil: the command's default (random-contexts for check, most-frequent for sweep).
    var choice: ContextChoice?

    /// A selection with every field given.
    public init(maxContexts: Int?, minContextCount: Double, seed: UInt64, choice: ContextChoice?) {
        self.maxContexts = maxContexts; self.minContextCount = minContextCount; self.seed = seed; self.choice = choice
    }

    /// The data set at `path` after the selection, its original m, the input row of each kept
    /// context (for reports and certificates), and a note for the text output ("" when all are kept).
    public func load(_ path: String) throws -> (data: DataSet, originalCount: Int, rows: [Int], note: String) {
        let full = try DataSet(contentsOfNPZ: path)
        try full.validate()
        let (data, rows) = maxContexts.map { cap in
            DataSetSampling.choose(full, count: cap, choice: choice ?? .randomContexts, minContextCount: minContextCount, seed: seed)
        } ?? DataSetSampling.subsample(full, minContextCount: minContextCount)
        guard data.contextCount > 0 else {
            throw UserError("no context of \(path) is seen at least \(minContextCount) times")
        }
        try requireEvents(data, path: path, rows: rows)
        var note = ""
        if data.contextCount < full.contextCount {
            note = " (of \(grouped(full.contextCount)); min count \(general(minContextCount)), "
                + (maxContexts.map { "at most \(grouped($0)), \(choice.map { $0.rawValue + ", " } ?? "")seed \(seed)" } ?? "no cap") + ")"
        }
        return (data, full.contextCount, rows, note)
    }
}
