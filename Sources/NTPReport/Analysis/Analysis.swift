import Foundation
import NTPCore
import NTPCorpus
import NTPFormats

/// `ntpsep analyze`: from corpus to answer. Counts the corpus (statistics, corpus.svg, data.npz),
/// checks both conditions for several embeddings on its most frequent contexts, trains GD, NGD and
/// Adam where both hold (training.svg and CSV logs), sweeps the separability threshold d*/m
/// against the null models (sweep.svg and CSVs), then writes analysis.json and report.html. The
/// folder is built in a staging folder and renamed into place at the end: a failed run leaves none.
public struct Analysis {
    /// Corpus files or folders; empty: the default corpus (`defaultCorpus()`).
    var corpus: [String]
    /// How the corpus becomes a data set.
    var ingest: IngestOptions
    /// Progress bar while counting (nil: when stderr is a terminal).
    var progress: Bool?
    /// Sizes and time budgets.
    var budget: AnalysisBudget
    /// "standard" or "quick", recorded in analysis.json.
    var preset: String
    /// Seed of the Gaussian embeddings and of the sweep.
    var seed: UInt64
    /// Output folder (nil: ntpsep-out/NAME).
    var directory: String?
    /// No progress lines on stderr (`-q`).
    public var quiet = false
    /// Write certificates/ and data-checks.npz (false: `--no-certificates`).
    public var certificates = true

    /// An analysis of `corpus` with `ingest`'s options.
    public init(corpus: [String], ingest: IngestOptions, progress: Bool?, budget: AnalysisBudget, preset: String,
                seed: UInt64, directory: String?) {
        self.corpus = corpus; self.ingest = ingest; self.progress = progress; self.budget = budget
        self.preset = preset; self.seed = seed; self.directory = directory
    }

    /// What `analyze` prints: the summary and where the report is.
    public struct Outcome {
        /// Everything found (analysis.json).
        var summary: AnalysisSummary
        /// The folder written.
        var directory: String
        /// The answer on the terminal.
        public var text: String { AnalysisReport.terminal(summary, directory: directory) }
    }

    /// Runs every stage and writes the folder; progress lines go to stderr.
    public func run() throws -> Outcome {
        let clock = Stopwatch()
        // Every product here is small (m ≤ 1,000 contexts, V ≈ 200) and the loss runs its own two
        // workers: a second BLAS thread per call only spins. Measured on `--quick` (KJV, 2 cores):
        // 62 CPU-s (8.6 of them system time) with OpenBLAS's default 2 threads, 45 CPU-s with 1.
        setBLASThreads(1)
        var stages = AnalysisStages(budget: budget, seed: seed, progress: StepPrinter(total: 6, clock: clock, quiet: quiet),
                                    certificates: certificates)
        let corpus = self.corpus.isEmpty ? [try defaultCorpus()] : self.corpus
        let name = corpusName(corpus)
        let dir = directory ?? "ntpsep-out/\(name)"
        try checkOutputs([], inputs: corpus)
        for path in corpus where path != "-" && access(path, R_OK) != 0 {
            throw UserError("cannot read \(path): \(String(cString: strerror(errno))) (check the path)")
        }
        try checkOutputDirectory(dir, option: "--output")
        let folder = try OutputFolder(path: dir)

        let counted = try stages.count(corpus, options: ingest, progressBar: progress, into: folder)
        let small = try stages.checkData(corpus, options: ingest, into: folder)
        let checks = try stages.conditionChecks(small, whole: counted.data, into: folder)
        let training = try stages.training(small.gaussian.data, into: folder)
        let sweep = try stages.sweep(whole: counted.data, reduced: small.reduced, into: folder)

        stages.progress.step("writing \(dir)/analysis.json and \(dir)/report.html")
        // Seconds are only in the one `timing` key (stage by stage), so the rest of analysis.json
        // is the same every run.
        var stageSeconds = stages.timing.seconds
        stageSeconds["total"] = clock.elapsed
        let summary = AnalysisSummary(corpus: corpus, name: name, options: ingest.jsonObject(inputs: []),
                                      statistics: counted.statistics, checkContexts: small.onehot.data.contextCount,
                                      checkVocabulary: small.onehot.data.vocabularySize, checks: checks,
                                      training: training.summary, sweep: sweep.result, sweepData: sweep.dataFile, preset: preset, budget: budget, seed: seed,
                                      certificatesWritten: certificates, timing: stageSeconds)
        try writeFileAtomically(path: folder.file("analysis.json"), contents: try JSONText.pretty(summary) + "\n")
        let html = AnalysisReport.html(summary, corpusSVG: counted.figure, trainingSVG: training.figure, sweepSVG: sweep.figure)
        try writeFileAtomically(path: folder.file("report.html"), contents: html)
        stages.progress.step("done in \(clock.elapsedText)")
        try folder.commit()
        return Outcome(summary: summary, directory: dir)
    }
}
