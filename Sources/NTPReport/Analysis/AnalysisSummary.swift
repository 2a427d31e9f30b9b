import NTPCore
import NTPCorpus

/// Everything `analyze` found, as written to analysis.json (keys in `CodingKeys`).
public struct AnalysisSummary: Codable {
    /// The corpus files read.
    var corpus: [String]
    /// The corpus's short name (the output folder's default name).
    var name: String
    /// The ingest options, as the JSON object a data set stores.
    var options: String
    /// Statistics of the whole corpus.
    var statistics: CorpusStatistics
    /// Contexts and tokens of the one-hot condition checks.
    var checkContexts, checkVocabulary: Int
    /// One report per embedding checked.
    var checks: [CheckReport]
    /// The last logged values of the GD, NGD and Adam runs.
    var training: [TrainingSummary]
    /// The threshold sweep.
    var sweep: SweepResult
    /// The data set the sweep ran on, by its file in the folder: data.npz (the whole vocabulary) or
    /// data-checks.npz (its most frequent tokens, for a vocabulary above `--sweep-max-vocab`; not
    /// written with --no-certificates). The sweep's certificates name its rows.
    var sweepData: String
    /// "standard" or "quick" (`--quick`), and the sizes and budgets actually used.
    var preset: String
    var budget: AnalysisBudget
    /// Seed of the Gaussian embeddings and of the sweep.
    var seed: UInt64
    /// Whether certificates/ and data-checks.npz were written (false: `--no-certificates`, and every
    /// check's `certificate_file` is null).
    var certificatesWritten: Bool
    /// Wall seconds per stage: count, check_data, "check EMBEDDING" for each check, training, sweep
    /// (each with the files it writes) and total (up to writing analysis.json and report.html): the
    /// only key of analysis.json that changes run to run.
    var timing: [String: Double]
    /// The total wall seconds.
    var seconds: Double { timing["total"] ?? 0 }
    enum CodingKeys: String, CodingKey {
        case corpus, name, options, statistics, checkContexts = "check_contexts", checkVocabulary = "check_vocabulary"
        case checks, training, sweep, sweepData = "sweep_data", preset, budget, seed, certificatesWritten = "certificates_written", timing
    }
}

/// The last logged values of one training run (analysis.json's `training` entries), under the keys
/// of `train --json` (`meta`'s lr, m, d and the log rows' names; they differed before).
public struct TrainingSummary: Codable, Sendable {
    /// "GD", "NGD" or "ADAM".
    var optimizer: String
    /// Step size η, steps, contexts m and Gaussian dimension d of the run.
    var learningRate: Double
    var steps, contexts, dimension: Int
    /// CE − 𝓗 and ‖W‖ at the last step.
    var gap, norm: Double
    /// ‖P_𝓕(W) − W*‖, cos(W, W^mm) and cos(W − W*, W^mm) at the last step (absent without a reference).
    var distanceToWStar, cosineMM, cosineShiftedMM: Double?
    enum CodingKeys: String, CodingKey {
        case optimizer, learningRate = "lr", steps, contexts = "m", dimension = "d", gap = "ce_minus_entropy", norm = "norm_w"
        case distanceToWStar = "dist_pf_w_wstar", cosineMM = "cos_w_wmm", cosineShiftedMM = "cos_w_minus_wstar_wmm"
    }
}
