import Foundation
import NTPCore
import NTPFormats

/// `ntpsep sweep`: the NTP-separability threshold d*/m with nested random embeddings, real
/// supports against null models, for several m; optionally writes the trial CSV, its per-point
/// summary and the figure.
public struct ThresholdSweep {
    /// The data set (.npz).
    var data: String
    /// The options of `Sweep.run` (context counts, trials, nulls, seed, selection, time limit).
    var options: SweepOptions
    /// Every option as given, recorded in the JSON's `options`.
    var recordedOptions: [String: OptionValue]
    /// Largest D tried when given (checked against the available memory first).
    var maxDimension: Int?
    /// One CSV row per (model, m, trial); the summary goes to the same name with -summary.csv.
    var csv: String?
    /// The figure (SVG).
    var plot: String?
    /// A folder for every trial's data set, MODEL-mM-tT.npz (nil: none written).
    public var trialData: String?
    /// A folder for the certificates at the ends of every trial's bracket, MODEL-mM-tT-dD.npz (nil: none).
    public var certificates: String?
    /// No progress lines on stderr (`-q`).
    public var quiet = false

    /// A sweep of `data` with `options`.
    public init(data: String, options: SweepOptions, recordedOptions: [String: OptionValue], maxDimension: Int?,
                csv: String?, plot: String?) {
        self.data = data; self.options = options; self.recordedOptions = recordedOptions
        self.maxDimension = maxDimension; self.csv = csv; self.plot = plot
    }

    /// "kjv.csv" → "kjv-summary.csv".
    public static func summaryPath(_ path: String) -> String {
        (path.hasSuffix(".csv") ? String(path.dropLast(4)) : path) + "-summary.csv"
    }

    /// Runs every trial (one progress line each on stderr) and writes the files asked for.
    public func run() throws -> SweepOutcome {
        let summaryPath = csv.map(Self.summaryPath)
        try checkOutputs([csv, summaryPath, plot], inputs: [data])
        let full = try DataSet(contentsOfNPZ: data)
        try full.validate()
        // As `check` refuses it (QA round 11: sweep printed an empty table and exited 0).
        if options.minContextCount > 0, !(0..<full.contextCount).contains(where: { full.rowTotal($0) >= options.minContextCount }) {
            throw UserError("no context of \(data) is seen at least \(general(options.minContextCount)) times (--min-context-count)")
        }
        if let d = maxDimension {
            // The largest nested embedding: D·(N−1) × m features (positional: plus the (N−1)·V × D table).
            let m = Double(min(options.contextCounts.max() ?? 1, full.contextCount)), r = Double(max(1, full.contextLength))
            let doubles = options.embedding == .gaussian ? Double(d) * m : Double(d) * r * (m + Double(full.vocabularySize))
            try AvailableMemory.require(approximately: 8 * doubles, for: "--max-dim \(d) with m = \(counted(Int(m), "context"))", advice: "use a smaller --max-dim")
        }
        // Every decision holds V × (d + m) doubles; refused here rather than undecided trial by trial.
        try Separability.requireDenseMemory(vocabulary: full.vocabularySize, dimension: 1,
                                            contexts: min(options.contextCounts.min() ?? 1, full.contextCount))
        if let dir = trialData { try checkOutputDirectory(dir, option: "--trial-data") }
        if let dir = certificates { try checkOutputDirectory(dir, option: "--certificates") }
        let folder = try trialData.map { try OutputFolder(path: $0) }
        let certificateFolder = try certificates.map { try OutputFolder(path: $0) }
        let clock = Stopwatch()
        let quiet = self.quiet
        var result = try Sweep.run(full, options: options, progress: { line in
            if !quiet { FileHandle.standardError.write(Data(("  " + line + " (" + clock.elapsedText + ")\n").utf8)) }
        }, trialData: folder.map { folder in { name, ds in try ds.writeNPZ(to: folder.file(name + ".npz")) } },
           certificates: certificateFolder.map { folder in { name, file in try file.write(to: folder.file(name + ".npz")) } })
        try folder?.commit()
        try certificateFolder?.commit()
        result.options = recordedOptions
        result.timing = ["decisions": result.decisionSeconds, "total": clock.elapsed]
        if let p = csv { try writeFileAtomically(path: p, contents: result.trialsCSV()) }
        if let p = summaryPath { try writeFileAtomically(path: p, contents: result.summaryCSV()) }
        if let p = plot { try writeFileAtomically(path: p, contents: sweepFigure(result)) }
        return SweepOutcome(result: result, seed: options.seed, minContextCount: options.minContextCount, total: full.contextCount)
    }
}

/// What `sweep` prints: the table, or as JSON the `SweepResult` itself.
public struct SweepOutcome: CommandReport {
    /// Per-point medians and intervals, and every trial's bracket.
    var result: SweepResult
    /// The seed, the count threshold and the data set's m, for the text's first and last lines.
    var seed: UInt64
    var minContextCount: Double
    var total: Int

    public static let jsonKeys = "vocabulary, embedding, context_choice, nulls, trials_per_point, points (the summary CSV's columns: m, cap_over_m, …), trials (the trial CSV's columns), options (as given: numbers, lists, null when not given), timing: all seconds; nothing else varies run to run"

    public var text: String { SweepTable.text(result, seed: seed, minContextCount: minContextCount, of: total) }

    public func encode(to encoder: Encoder) throws { try result.encode(to: encoder) }
}
