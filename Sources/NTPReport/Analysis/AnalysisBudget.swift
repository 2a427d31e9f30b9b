/// The sizes and time budgets of `ntpsep analyze`: the full analysis, and the `--quick` preset for a
/// first look and for CI (the same data sizes except a smaller threshold sweep, shorter runs and time
/// limits: under 45 s on the default corpus on 2 cores). Options given on the command line override
/// either preset.
public struct AnalysisBudget: Codable, Equatable, Sendable {
    /// Tokens kept for the condition checks (the others become <unk>).
    public var checkVocab: Int
    /// Most frequent contexts of the one-hot condition checks.
    public var checkContexts: Int
    /// Most frequent contexts of the training run and the Gaussian condition checks.
    public var sweepContexts: Int
    /// Most frequent contexts of the separability-only Gaussian checks (d = m/4, m/2, 2m): verdicts
    /// and certificates at the size of a corpus's frequent core.
    public var scaleContexts: Int
    /// Most frequent contexts m of the threshold sweep.
    public var thresholdContexts: Int
    /// The largest vocabulary the threshold sweep takes whole; above it the sweep runs over the
    /// `checkVocab` most frequent tokens. Its "yes" certificates hold a dense W of V × d numbers
    /// (d ≤ m): on the KJV (V = 13,746, m = 50) 4–5 MB a file, 18 files.
    public var sweepMaxVocab: Int
    /// Seeded trials per model in the threshold sweep (6 is the fewest with a 95 % interval).
    public var trials: Int
    /// Steps of each training run (GD, NGD, Adam).
    public var steps: Int
    /// Adam steps of the entropy-gap minimiser in the condition checks.
    public var gapSteps: Int
    /// Seconds per separability decision in the sweep.
    public var sweepTimeLimit: Double
    /// Seconds of the separability decision of each Gaussian condition check.
    public var checkTimeLimit: Double
    /// Seconds of each whole-corpus decision (one-hot and positional one-hot on every context over the
    /// whole vocabulary); 0 skips them.
    public var wholeCorpusTimeLimit: Double

    /// The full analysis. Its threshold sweep runs on 50 contexts over the whole vocabulary with 30 s per
    /// decision: on the KJV (V = 13,746) the sweep (real and both nulls, 6 trials each) took 90 s there,
    /// and 326 s at m = 100 for real and the uniform null alone.
    public static let standard = AnalysisBudget(checkVocab: 200, checkContexts: 1000, sweepContexts: 100, scaleContexts: 2000,
                                        thresholdContexts: 50, sweepMaxVocab: 50_000, trials: 6, steps: 10_000, gapSteps: 2_000, sweepTimeLimit: 30, checkTimeLimit: 10,
                                        wholeCorpusTimeLimit: 60)
    /// `--quick`: the standard sizes with a tenth of the training steps, a quarter of the entropy-gap
    /// steps, and the threshold sweep on 20 contexts with 2 s per decision (trials whose decisions
    /// time out are reported as undecided, never guessed). The Gaussian checks keep 10 s: when a check's decision runs out
    /// of time, what follows is not bounded by it (gaussian:50 on the KJV: 165–176 s and undecided
    /// with 1–2 s on a loaded machine, against about 2 s to a verdict with 10 s).
    public static let quick = AnalysisBudget(checkVocab: 200, checkContexts: 1000, sweepContexts: 100, scaleContexts: 2000,
                                     thresholdContexts: 20, sweepMaxVocab: 50_000, trials: 6, steps: 1_000, gapSteps: 500, sweepTimeLimit: 2, checkTimeLimit: 10,
                                     wholeCorpusTimeLimit: 60)

    enum CodingKeys: String, CodingKey {
        case checkVocab = "check_vocab", checkContexts = "check_contexts", sweepContexts = "sweep_contexts"
        case scaleContexts = "scale_contexts"
        case thresholdContexts = "threshold_contexts", sweepMaxVocab = "sweep_max_vocab", trials, steps, gapSteps = "gap_steps", sweepTimeLimit = "sweep_time_limit"
        case checkTimeLimit = "check_time_limit", wholeCorpusTimeLimit = "whole_corpus_time_limit"
    }
}
