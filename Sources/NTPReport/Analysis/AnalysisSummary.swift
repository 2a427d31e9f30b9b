import NTPCore
import NTPCorpus

/// Everything `analyze` found, as written to analysis.json (keys in `CodingKeys`).
public struct AnalysisSummary: Codable {
    /// The corpus files read.
    public var corpus: [String]
    /// The corpus's short name (the output folder's default name).
    public var name: String
    /// The ingest options, as the JSON object a data set stores.
    public var options: String
    /// Statistics of the whole corpus.
    public var statistics: CorpusStatistics
    /// Contexts and tokens of the one-hot condition checks.
    public var checkContexts: Int
    public var checkVocabulary: Int
    /// One report per embedding checked.
    public var checks: [CheckReport]
    /// The last logged values of the GD, NGD and Adam runs.
    public var training: [TrainingSummary]
    /// The threshold sweep.
    public var sweep: SweepResult
    /// "standard" or "quick" (`--quick`), and the sizes and budgets actually used.
    public var preset: String
    public var budget: AnalysisBudget
    /// Seed of the Gaussian embeddings and of the sweep.
    public var seed: UInt64
    /// Wall seconds per stage: count, check_data, "check EMBEDDING" for each check, training, sweep
    /// (each with the files it writes) and total (up to writing analysis.json and report.html): the
    /// only key of analysis.json that changes run to run.
    public var timing: [String: Double]
    /// The total wall seconds.
    public var seconds: Double { timing["total"] ?? 0 }
    enum CodingKeys: String, CodingKey {
        case corpus, name, options, statistics, checkContexts = "check_contexts", checkVocabulary = "check_vocabulary"
        case checks, training, sweep, preset, budget, seed, timing
    }
}

/// The last logged values of one training run (analysis.json's `training` entries).
public struct TrainingSummary: Codable, Sendable {
    /// "GD", "NGD" or "ADAM".
    public var optimizer: String
    /// Step size η, steps, contexts m and Gaussian dimension d of the run.
    public var learningRate: Double
    public var steps: Int
    public var contexts: Int
    public var dimension: Int
    /// CE − 𝓗 and ‖W‖ at the last step.
    public var gap: Double
    public var norm: Double
    /// ‖P_𝓕(W) − W*‖, cos(W, W^mm) and cos(W − W*, W^mm) at the last step (absent without a reference).
    public var distanceToWStar: Double?
    public var cosineMM: Double?
    public var cosineShiftedMM: Double?
    enum CodingKeys: String, CodingKey {
        case optimizer, learningRate = "learning_rate", steps, contexts, dimension, gap = "ce_minus_entropy", norm
        case distanceToWStar = "distance_to_w_star", cosineMM = "cos_w_wmm", cosineShiftedMM = "cos_w_minus_wstar_wmm"
    }
}
