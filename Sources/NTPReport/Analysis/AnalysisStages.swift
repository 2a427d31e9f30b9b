import Foundation
import NTPCore
import NTPCorpus
import NTPFormats

/// The stages of `Analysis.run`, in order, each charging its seconds to `timing`.
struct AnalysisStages {
    let budget: AnalysisBudget
    let seed: UInt64
    let progress: StepPrinter
    /// Write the certificates and data-checks.npz, whose rows they name (false: `--no-certificates`).
    let certificates: Bool
    var timing = StageTimes()

    init(budget: AnalysisBudget, seed: UInt64, progress: StepPrinter, certificates: Bool) {
        self.budget = budget; self.seed = seed; self.progress = progress; self.certificates = certificates
    }

    /// The data sets of the condition checks: the corpus over its most frequent tokens, its most
    /// frequent contexts for the one-hot checks, and a smaller set for the Gaussian checks and training.
    struct CheckData {
        var reduced: DataSet
        var onehot: Subset
        var gaussian: Subset
        var scale: Subset
    }

    /// Some contexts of a data set, their rows in it and its file in the output folder (for
    /// certificates; rows nil: all of it).
    struct Subset {
        var data: DataSet
        var rows: [Int]?
        var file: String
    }

    /// The data set files that the certificates' rows name: the whole corpus, and the corpus over
    /// its most frequent tokens (the data set of every check but the whole-corpus ones).
    static let wholeDataFile = "data.npz", reducedDataFile = "data-checks.npz"

    /// 1. Counts the whole corpus: data.npz, statistics by context length, corpus.svg.
    mutating func count(_ corpus: [String], options: IngestOptions, progressBar: Bool?,
                        into folder: OutputFolder) throws -> (data: DataSet, statistics: CorpusStatistics, figure: String) {
        progress.step("counting \(corpus.joined(separator: ", ")) (order \(options.order))")
        let full = try CorpusIngest.dataSet(corpus, options: options, progress: progressBar, notes: !progress.quiet)
        try full.writeNPZ(to: folder.file("data.npz"))
        let stats = try CorpusStatistics(full, largest: 10, orders: Array(1...(full.contextLength + 1)))
        let figure = corpusFigure(full, orders: stats.orders ?? [])
        try writeFileAtomically(path: folder.file("corpus.svg"), contents: figure)
        timing.lap("count")
        return (full, stats, figure)
    }

    /// 2a. The check data: frequent tokens, frequent contexts.
    mutating func checkData(_ corpus: [String], options: IngestOptions, into folder: OutputFolder) throws -> CheckData {
        progress.step("condition checks on the \(budget.checkContexts) (one-hot features) and \(budget.sweepContexts) (Gaussian) most frequent contexts, separability alone on \(budget.scaleContexts) (Gaussian), \(budget.checkVocab) most frequent tokens; separability alone on every context over the whole vocabulary (one-hot, positional one-hot)")
        var reducedOptions = options
        reducedOptions.maxVocabulary = min(options.maxVocabulary ?? budget.checkVocab, budget.checkVocab)
        let small = try CorpusIngest.dataSet(corpus, options: reducedOptions, progress: false, notes: false)   // said when counting
        if certificates { try small.writeNPZ(to: folder.file(Self.reducedDataFile)) }
        // Gaussian features are checked on the sweep's smaller set: exact LPs near the threshold and
        // the NTP-SVM with dense features are slow at m = 1,000.
        let data = CheckData(reduced: small, onehot: mostFrequentContexts(small, budget.checkContexts),
                             gaussian: mostFrequentContexts(small, budget.sweepContexts),
                             scale: mostFrequentContexts(small, budget.scaleContexts))
        timing.lap("check_data")
        return data
    }

    /// 2b. Both conditions for one-hot features (m = checkContexts) and Gaussian ones of m/4, m/2
    /// and 2m dimensions (m = sweepContexts); then separability alone for Gaussian features of m/4,
    /// m/2 and 2m dimensions on the larger set (m = scaleContexts), where the compatibility solve
    /// and the entropy-gap optimizers would take minutes each; then separability alone for one-hot and
    /// positional one-hot features on every context of `whole` (the corpus over its whole vocabulary),
    /// through the most frequent contexts first (`SubsetLadder`). A check's own stage times are
    /// dropped from its report.
    mutating func conditionChecks(_ data: CheckData, whole: DataSet, into folder: OutputFolder) throws -> [CheckReport] {
        // The NTP-SVM margin's minimum-norm point gets the Gaussian checks' time limit: unbounded, it took
        // 220–293 s of `analyze --quick` on Sherlock Holmes and the Devil's Dictionary (gaussian:200:0).
        let full = CheckHooks.standard(crossEntropySteps: budget.gapSteps, marginTimeLimit: budget.checkTimeLimit)
        let positional = data.reduced.contextLength > 0
        var specs: [(String, Subset, Double, CheckHooks)] = [("onehot", data.onehot, 300, full)]
        if positional { specs.append(("positional-onehot", data.onehot, 300, full)) }
        let m = data.gaussian.data.contextCount, large = data.scale.data.contextCount
        for d in [m / 4, m / 2, 2 * m] where d > 0 { specs.append(("gaussian:\(d):\(seed)", data.gaussian, budget.checkTimeLimit, full)) }
        if large > m {
            for d in [large / 4, large / 2, 2 * large] where d > 0 { specs.append(("gaussian:\(d):\(seed)", data.scale, budget.checkTimeLimit, CheckHooks())) }
        }
        if budget.wholeCorpusTimeLimit > 0 {
            for spec in positional ? ["onehot", "positional-onehot"] : ["onehot"] {
                specs.append((spec, Subset(data: whole, rows: nil, file: Self.wholeDataFile), budget.wholeCorpusTimeLimit, CheckHooks()))
            }
        }
        var checks: [CheckReport] = []
        for (spec, chosen, timeLimit, hooks) in specs {
            let subset = chosen.data
            let embedding = try EmbeddingSpec(parsing: spec)
            let features = try ContextFeatures.make(embedding, for: subset)
            var options = CheckOptions()
            options.separability.timeLimit = timeLimit
            // As `check` does: past 8,000 contexts, the 1,000 most frequent first, doubling.
            options.subsetLadderStart = subset.contextCount > 8_000 ? 1_000 : nil
            let certificate = "certificates/" + Self.certificateName(embedding, contexts: subset.contextCount, whole: chosen.file == Self.wholeDataFile)
            options.certificatePath = certificates ? folder.file(certificate) : nil
            let gapCertificate = "certificates/entropy-gap-" + certificate.dropFirst("certificates/".count)
            options.gapCertificatePath = certificates ? folder.file(gapCertificate) : nil
            let compatCertificate = "certificates/compatibility-" + certificate.dropFirst("certificates/".count)
            options.compatCertificatePath = certificates && hooks.compatibility != nil ? folder.file(compatCertificate) : nil
            options.originalRows = chosen.rows
            var report = try CheckRunner.run(subset, features: features, embedding: embedding.description, options: options, hooks: hooks)
            report.certificateFile?.path = certificate
            report.certificateFile?.data = chosen.file
            if report.gapCertificateFile != nil { report.gapCertificateFile = gapCertificate }
            report.compatCertificateFile?.path = compatCertificate
            let gap = report.entropyGap.map { general($0, 3) } ?? "–"
            let interval = report.entropyGapInterval.map { ", inf CE − 𝓗 ∈ \(intervalText($0[0], $0[1], 3))" } ?? ""
            let rest = hooks.compatibility == nil ? " (separability alone)"
                : ", compatible \(verdict(report.compatible)), CE − 𝓗 ≤ \(gap)\(interval)"
            progress.detail("\(spec) (m = \(subset.contextCount), V = \(subset.vocabularySize)): separable \(verdict(report.separable))\(rest)")
            report.timings = nil
            checks.append(report)
            timing.lap(hooks.compatibility == nil ? "check \(spec) (m = \(subset.contextCount))" : "check \(spec)")
        }
        return checks
    }

    /// "gaussian-50-0-m200.npz" for gaussian:50:0 on 200 contexts; "whole-corpus-onehot-m148464.npz"
    /// for a check of the whole corpus (a small corpus can have as many contexts in both data sets).
    static func certificateName(_ embedding: EmbeddingSpec, contexts: Int, whole: Bool) -> String {
        (whole ? "whole-corpus-" : "") + embedding.description.replacingOccurrences(of: ":", with: "-") + "-m\(contexts).npz"
    }

    /// 3. Training curves where both conditions hold (d = 2m Gaussian features): training.svg and
    /// one CSV log per optimizer.
    mutating func training(_ data: DataSet, into folder: OutputFolder) throws -> (summary: [TrainingSummary], figure: String) {
        let dimension = 2 * data.contextCount
        progress.step("training GD, NGD, Adam for \(counted(budget.steps, "step")) on \(counted(data.contextCount, "context")), gaussian:\(dimension)")
        let training = try ThreeOptimizers.train(data, dimension: dimension, steps: budget.steps, seed: seed)
        let figure = trainingFigure(runs: training.runs, entropy: data.entropy())
        try writeFileAtomically(path: folder.file("training.svg"), contents: figure)
        for run in training.runs {
            try writeFileAtomically(path: folder.file("training-\(run.name.lowercased()).csv"), contents: TrainingLogFormat.csv(run.rows))
        }
        timing.lap("training")
        return (training.summary, figure)
    }

    /// 4. The separability threshold d*/m: real supports against both null models, over the whole
    /// vocabulary (the reduced one above `budget.sweepMaxVocab` tokens). Smaller than `sweep`'s defaults
    /// (m = 200, 20 trials) to stay within minutes; the report says so. Returns the file of the data
    /// set whose rows the sweep's certificates name.
    mutating func sweep(whole: DataSet, reduced: DataSet, into folder: OutputFolder)
        throws -> (result: SweepResult, figure: String, dataFile: String) {
        let useWhole = whole.vocabularySize <= budget.sweepMaxVocab
        let data = useWhole ? whole : reduced
        var options = SweepOptions(contextCounts: [budget.thresholdContexts], trials: budget.trials, seed: seed)
        options.nulls = [.uniform, .frequency]
        options.separability.timeLimit = budget.sweepTimeLimit
        progress.step("threshold sweep on the \(budget.thresholdContexts) most frequent contexts over \(useWhole ? "the whole vocabulary" : "the \(budget.checkVocab) most frequent tokens") (V = \(data.vocabularySize)): \(counted(budget.trials, "trial")) each for real, uniform-null and frequency-null supports (bisection over nested gaussian:d)")
        let printer = progress
        let write: (String, CertificateFile) throws -> Void = { name, file in try file.write(to: folder.file("certificates/sweep/\(name).npz")) }
        let result = try Sweep.run(data, options: options, progress: { line in printer.detail(line) },
                                   certificates: certificates ? write : nil)
        try writeFileAtomically(path: folder.file("sweep.csv"), contents: result.trialsCSV())
        try writeFileAtomically(path: folder.file("sweep-summary.csv"), contents: result.summaryCSV())
        let figure = sweepFigure(result)
        try writeFileAtomically(path: folder.file("sweep.svg"), contents: figure)
        timing.lap("sweep")
        return (result, figure, useWhole ? Self.wholeDataFile : Self.reducedDataFile)
    }
}

/// The `count` contexts with the largest counts (ties by row) of the reduced data set, in row order,
/// with their rows (nil: all of `data`).
func mostFrequentContexts(_ data: DataSet, _ count: Int) -> AnalysisStages.Subset {
    let file = AnalysisStages.reducedDataFile
    guard data.contextCount > count else { return AnalysisStages.Subset(data: data, rows: nil, file: file) }
    let totals = (0..<data.contextCount).map(data.rowTotal)
    let rows = Array((0..<data.contextCount).sorted { totals[$0] != totals[$1] ? totals[$0] > totals[$1] : $0 < $1 }.prefix(count)).sorted()
    return AnalysisStages.Subset(data: DataSetSampling.select(data, rows: rows), rows: rows, file: file)
}
