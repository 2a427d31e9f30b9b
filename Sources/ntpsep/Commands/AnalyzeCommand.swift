import ArgumentParser
import Foundation
import NTPCore
import NTPCorpus
import NTPFormats

struct Analyze: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "From corpus to answer: statistics, both conditions for several embeddings, training curves, a dimension sweep, and an HTML report.",
        discussion: """
        With no INPUT, reads the default corpus (corpora/data/kjv.txt; fetch it with corpora/fetch.sh default).
        The whole corpus is counted for the statistics; the conditions are checked on the most frequent
        contexts over the most frequent tokens (others become <unk>), where exact LP decisions are possible.
        Writes DIR/analysis.json, DIR/report.html (self-contained), DIR/data.npz, the training and sweep
        figures (SVG) and their CSV logs.
        """)

    @Argument(help: "Corpus files or directories (default: corpora/data/kjv.txt).")
    var inputs: [String] = []

    @Option(name: .shortAndLong, help: "Output folder (default: ./ntpsep-out/NAME).")
    var out: String?

    @OptionGroup var ingest: IngestArguments

    @Flag(help: "A first look in under a minute: the standard sizes with shorter optimizer runs and LP time limits (see README).")
    var quick = false

    @Option(help: "Tokens kept for the condition checks (the others become <unk>; default 200).")
    var checkVocab: Int?

    @Option(help: "Most frequent contexts used for the condition checks (default 1000).")
    var checkContexts: Int?

    @Option(help: "Most frequent contexts used for the training run and the Gaussian condition checks (default 100).")
    var sweepContexts: Int?

    @Option(help: "Most frequent contexts m of the threshold sweep (default 20; sweep's own default is 200).")
    var thresholdContexts: Int?

    @Option(help: "Seeded trials per model in the threshold sweep (default 6, the fewest with a 95 % interval; sweep's own default is 20).")
    var trials: Int?

    @Option(help: "Steps of each training run (GD, NGD, Adam; default 10000, --quick 1000).")
    var steps: Int?

    @Option(help: "Adam steps of the entropy-gap minimiser in the condition checks (default 2000, --quick 500).")
    var gapSteps: Int?

    @Option(help: "Time limit of each separability decision in the sweep, seconds (default 10, --quick 2; a trial without both certificates is reported as undecided).")
    var sweepTimeLimit: Double?

    @Option(help: "Time limit of the separability decision of each Gaussian condition check, seconds (default 10, also with --quick).")
    var checkTimeLimit: Double?

    @Option(help: "Seed of the Gaussian embeddings.")
    var seed: UInt64 = 0

    func validate() throws {
        let b = budget
        for (value, flag) in [(b.checkVocab, "--check-vocab"), (b.checkContexts, "--check-contexts"), (b.sweepContexts, "--sweep-contexts"),
                              (b.thresholdContexts, "--threshold-contexts"), (b.trials, "--trials"), (b.steps, "--steps")] {
            try OptionCheck.positive(value, flag)
        }
        try OptionCheck.nonNegative(b.gapSteps, "--gap-steps")
        try OptionCheck.positive(b.sweepTimeLimit, "--sweep-time-limit")
        try OptionCheck.positive(b.checkTimeLimit, "--check-time-limit")
    }

    /// The preset (`--quick` or the standard one) with the options given on the command line.
    var budget: AnalyzeBudget {
        var b = quick ? AnalyzeBudget.quick : AnalyzeBudget.standard
        if let checkVocab { b.checkVocab = checkVocab }
        if let checkContexts { b.checkContexts = checkContexts }
        if let sweepContexts { b.sweepContexts = sweepContexts }
        if let thresholdContexts { b.thresholdContexts = thresholdContexts }
        if let trials { b.trials = trials }
        if let steps { b.steps = steps }
        if let gapSteps { b.gapSteps = gapSteps }
        if let sweepTimeLimit { b.sweepTimeLimit = sweepTimeLimit }
        if let checkTimeLimit { b.checkTimeLimit = checkTimeLimit }
        return b
    }

    mutating func run() throws {
        let clock = Stopwatch()
        let budget = self.budget
        let timing = StageTimes()
        let checkVocab = budget.checkVocab, checkContexts = budget.checkContexts, sweepContexts = budget.sweepContexts
        let thresholdContexts = budget.thresholdContexts, trials = budget.trials, gapSteps = budget.gapSteps
        let sweepTimeLimit = budget.sweepTimeLimit
        // Every product here is small (m ≤ 1,000 contexts, V ≈ 200) and the loss runs its own two
        // workers: a second BLAS thread per call only spins. Measured on `--quick` (KJV, 2 cores):
        // 62 CPU-s (8.6 of them system time) with OpenBLAS's default 2 threads, 45 CPU-s with 1.
        setBLASThreads(1)
        let progress = StepPrinter(total: 6, clock: clock)
        let corpus = inputs.isEmpty ? [try defaultCorpus()] : inputs
        let name = corpusName(corpus)
        let dir = out ?? "ntpsep-out/\(name)"
        // Built in a staging folder and renamed into place at the end: a failed run leaves no DIR.
        try checkOutputs([], inputs: corpus)
        for path in corpus where path != "-" && access(path, R_OK) != 0 {
            throw CLIError("cannot read \(path): \(String(cString: strerror(errno))) (check the path)")
        }
        try checkOutputDirectory(dir, option: "--out")
        let folder = try OutputFolder(path: dir)

        // 1. Count the whole corpus; statistics by context length.
        progress.step("counting \(corpus.joined(separator: ", ")) (order \(ingest.order))")
        let full = try ingest.ingest(corpus)
        try full.writeNPZ(to: folder.file("data.npz"))
        let stats = try CorpusStatistics(full, largest: 10, orders: Array(1...(full.contextLength + 1)))
        let corpusSVG = corpusFigure(full, orders: stats.orders ?? [])
        try writeFileAtomically(path: folder.file("corpus.svg"), contents: corpusSVG)
        timing.lap("count")

        // 2. The check data: frequent tokens, frequent contexts.
        progress.step("condition checks on the \(checkContexts) (one-hot features) and \(sweepContexts) (Gaussian) most frequent contexts, \(checkVocab) most frequent tokens")
        var reduced = ingest
        reduced.maxVocab = min(ingest.maxVocab ?? checkVocab, checkVocab)
        reduced.progress = false
        let small = try reduced.ingest(corpus)
        let checkData = mostFrequentContexts(small, checkContexts)
        let m = checkData.contextCount
        // Gaussian features are checked on the sweep's smaller set: exact LPs near the threshold and
        // the NTP-SVM with dense features are slow at m = 1,000.
        let trainData = mostFrequentContexts(small, sweepContexts)
        let mm = trainData.contextCount
        timing.lap("check_data")
        var specs: [(String, DataSet, Double)] = [("onehot", checkData, 300), ("positional-onehot", checkData, 300)]
        if full.contextLength == 0 { specs.removeAll { $0.0.hasPrefix("positional") } }
        for d in [mm / 4, mm / 2, 2 * mm] where d > 0 { specs.append(("gaussian:\(d):\(seed)", trainData, budget.checkTimeLimit)) }
        var checks: [CheckReport] = []
        for (spec, data, timeLimit) in specs {
            let embedding = try EmbeddingSpec(parsing: spec)
            let features = try ContextFeatures.make(embedding, for: data)
            var options = CheckOptions()
            options.separability.timeLimit = timeLimit
            let report = try CheckRunner.run(data, features: features, embedding: embedding.description,
                                             options: options, hooks: .standard(crossEntropySteps: gapSteps))
            progress.detail("\(spec) (m = \(data.contextCount)): separable \(verdict(report.separable)), compatible \(verdict(report.compatible)), CE − 𝓗 ≤ \(report.entropyGap.map { general($0, 3) } ?? "–")\(report.entropyGapInterval.map { ", inf CE − 𝓗 ∈ \(intervalText($0[0], $0[1], 3))" } ?? "")")
            checks.append(report)
            timing.lap("check \(spec)")
        }

        // 3. Training curves where both conditions hold (d > m Gaussian features).
        let trainDim = 2 * trainData.contextCount
        progress.step("training GD, NGD, Adam for \(budget.steps) steps on \(trainData.contextCount) contexts, gaussian:\(trainDim)")
        let training = try trainThreeOptimizers(trainData, dimension: trainDim, steps: budget.steps)
        let trainingSVG = trainingFigure(runs: training.runs.map { ($0.name, $0.rows) }, entropy: trainData.entropy())
        try writeFileAtomically(path: folder.file("training.svg"), contents: trainingSVG)
        for run in training.runs {
            try writeFileAtomically(path: folder.file("training-\(run.name.lowercased()).csv"), contents: TrainingLogFormat.csv(run.rows))
        }
        timing.lap("training")

        // 4. The separability threshold d*/m: real supports against both null models.
        // Smaller than `sweep`'s defaults (m = 200, 20 trials) to stay within minutes; the report says so.
        var sweepOptions = SweepOptions(contextCounts: [thresholdContexts], trials: trials, seed: seed)
        sweepOptions.nulls = [.uniform, .frequency]
        sweepOptions.separability.timeLimit = sweepTimeLimit
        progress.step("threshold sweep on the \(thresholdContexts) most frequent contexts: \(trials) trials each for real, uniform-null and frequency-null supports (bisection over nested gaussian:d)")
        let sweep = try NTPCore.Sweep.run(small, options: sweepOptions) { line in progress.detail(line) }
        try writeFileAtomically(path: folder.file("sweep.csv"), contents: sweep.trialsCSV())
        try writeFileAtomically(path: folder.file("sweep-summary.csv"), contents: sweep.summaryCSV())
        let sweepSVG = sweepFigure(sweep)
        try writeFileAtomically(path: folder.file("sweep.svg"), contents: sweepSVG)
        timing.lap("sweep")

        // 5. JSON and HTML.
        progress.step("writing \(dir)/analysis.json and \(dir)/report.html")
        // Seconds are only in the one `timing` key (stage by stage; a check's own stages are
        // dropped from its report), so the rest of analysis.json is the same every run.
        var stageSeconds = timing.seconds
        for i in checks.indices { checks[i].timings = [:] }
        stageSeconds["total"] = clock.elapsed
        let summary = AnalysisSummary(corpus: corpus, name: name, options: ingest.optionsDescription, statistics: stats,
                                      checkContexts: m, checkVocabulary: checkData.vocabularySize, checks: checks,
                                      training: training.summary, sweep: sweep,
                                      preset: quick ? "quick" : "standard", budget: budget, seed: seed, timing: stageSeconds)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try writeFileAtomically(path: folder.file("analysis.json"), contents: String(decoding: try encoder.encode(summary), as: UTF8.self) + "\n")
        let html = AnalysisReport.html(summary, corpusSVG: corpusSVG, trainingSVG: trainingSVG, sweepSVG: sweepSVG)
        try writeFileAtomically(path: folder.file("report.html"), contents: html)

        // 6. The answer on the terminal.
        progress.step("done in \(clock.elapsedText)")
        try folder.commit()
        print(AnalysisReport.terminal(summary, directory: dir))
    }

    /// GD (safe step), NGD and Adam (η = 0.01) from zero, logged against W* and W^mm.
    private func trainThreeOptimizers(_ data: DataSet, dimension: Int, steps: Int) throws -> (runs: [NamedRun], summary: [TrainingSummary]) {
        let features = try ContextFeatures.make(.gaussian(dimension: dimension, seed: seed), for: data)
        let loss = try NTPLoss(data: data, features: features)
        // analyze's figures use W* and W^mm only; γ*_∞'s LP would add up to a minute.
        let reference = try solveReference(data: data, features: features, maxNormMargin: false).reference
        var runs: [NamedRun] = [], summary: [TrainingSummary] = []
        for kind in [OptimizerKind.gd, .ngd, .adam] {
            let eta = OptimizerConfig.defaultLearningRate(for: kind, curvature: kind == .gd ? loss.curvatureBound() : 0)
            let options = TrainingOptions(optimizer: OptimizerConfig(kind: kind, learningRate: eta), steps: steps,
                                          logEvery: max(1, steps / 100))
            let result = try Trainer(loss: loss, options: options, reference: reference).run()
            let name = kind.rawValue.uppercased()
            runs.append(NamedRun(name: name, rows: result.log))
            let last = result.log.last!
            summary.append(TrainingSummary(optimizer: name, learningRate: eta, steps: steps, contexts: data.contextCount,
                                           dimension: dimension, gap: last.gap, norm: last.norm,
                                           distanceToWStar: last.distanceToWStar, cosineMM: last.cosineMM,
                                           cosineShiftedMM: last.cosineShiftedMM))
        }
        return (runs, summary)
    }
}

/// The `count` contexts with the largest counts (ties by row), in row order.
func mostFrequentContexts(_ data: DataSet, _ count: Int) -> DataSet {
    guard data.contextCount > count else { return data }
    let totals = (0..<data.contextCount).map(data.rowTotal)
    let rows = (0..<data.contextCount).sorted { totals[$0] != totals[$1] ? totals[$0] > totals[$1] : $0 < $1 }
    return DataSetSampling.select(data, rows: Array(rows.prefix(count)).sorted())
}

/// corpora/data/kjv.txt, looked for from the current folder upwards and next to the executable.
func defaultCorpus() throws -> String {
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
    throw CLIError("the default corpus \(relative) was not found: run corpora/fetch.sh default in the ntpsep checkout, or name a corpus")
}

/// A folder-friendly name for the inputs.
func corpusName(_ inputs: [String]) -> String {
    var base = URL(fileURLWithPath: inputs[0]).lastPathComponent
    for ext in [".gz", ".bz2", ".txt", ".xml", ".bin", ".npy"] where base.hasSuffix(ext) { base.removeLast(ext.count) }
    return base.isEmpty ? "corpus" : base
}

func verdict(_ b: Bool?) -> String { b.map { $0 ? "yes" : "no" } ?? "undecided" }

/// Numbered progress lines on stderr.
struct StepPrinter {
    let total: Int
    let clock: Stopwatch
    private final class Counter { var value = 0 }
    private let counter = Counter()
    init(total: Int, clock: Stopwatch) { self.total = total; self.clock = clock }
    func step(_ text: String) {
        counter.value += 1
        FileHandle.standardError.write(Data("[\(counter.value)/\(total)] \(text)  (\(clock.elapsedText))\n".utf8))
    }
    func detail(_ text: String) { FileHandle.standardError.write(Data("      \(text)\n".utf8)) }
}

struct NamedRun {
    var name: String
    var rows: [LogRow]
}

/// The last logged values of one training run.
struct TrainingSummary: Codable {
    var optimizer: String
    var learningRate: Double
    var steps: Int
    var contexts: Int
    var dimension: Int
    var gap: Double
    var norm: Double
    var distanceToWStar: Double?
    var cosineMM: Double?
    var cosineShiftedMM: Double?
    enum CodingKeys: String, CodingKey {
        case optimizer, learningRate = "learning_rate", steps, contexts, dimension, gap = "ce_minus_entropy", norm
        case distanceToWStar = "distance_to_w_star", cosineMM = "cos_w_wmm", cosineShiftedMM = "cos_w_minus_wstar_wmm"
    }
}

/// Everything `analyze` found, as written to analysis.json.
struct AnalysisSummary: Codable {
    var corpus: [String]
    var name: String
    var options: String
    var statistics: CorpusStatistics
    var checkContexts: Int
    var checkVocabulary: Int
    var checks: [CheckReport]
    var training: [TrainingSummary]
    var sweep: SweepResult
    /// "standard" or "quick" (`--quick`), and the sizes and budgets actually used.
    var preset: String
    var budget: AnalyzeBudget
    /// Seed of the Gaussian embeddings and of the sweep.
    var seed: UInt64
    /// Wall seconds per stage: count, check_data, "check EMBEDDING" for each check, training, sweep
    /// (each with the files it writes) and total (up to writing analysis.json and report.html): the
    /// only key of analysis.json that changes run to run.
    var timing: [String: Double]
    var seconds: Double { timing["total"] ?? 0 }
    enum CodingKeys: String, CodingKey {
        case corpus, name, options, statistics, checkContexts = "check_contexts", checkVocabulary = "check_vocabulary"
        case checks, training, sweep, preset, budget, seed, timing
    }
}

extension IngestArguments {
    /// The ingest options as JSON (for reports).
    var optionsDescription: String { (try? ingestOptions().jsonObject(inputs: [])) ?? "{}" }
}
