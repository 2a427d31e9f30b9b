import ArgumentParser
import NTPReport

/// `analyze`'s sizes and time budgets: a preset (`--quick` or the standard one) with overrides.
struct AnalysisBudgetArguments: ParsableArguments {
    @Flag(help: "A first look in under a minute: the standard sizes with shorter optimizer runs and LP time limits (see README).")
    var quick = false

    @Option(help: "Tokens kept for the condition checks (the others become <unk>; default 200).")
    var checkVocab: Int?

    @Option(help: "Most frequent contexts used for the condition checks (default 1000).")
    var checkContexts: Int?

    @Option(help: "Most frequent contexts used for the training run and the Gaussian condition checks (default 100).")
    var sweepContexts: Int?

    @Option(help: "Most frequent contexts of the separability-only Gaussian checks, d = m/4, m/2, 2m (default 2000).")
    var scaleContexts: Int?

    @Option(help: "Most frequent contexts m of the threshold sweep (default 50, --quick 20; sweep's own default is 200).")
    var thresholdContexts: Int?

    @Option(help: "The largest vocabulary the threshold sweep takes whole; above it, the sweep runs over the --check-vocab most frequent tokens (default 50000; 0: always those).")
    var sweepMaxVocab: Int?

    @Option(help: "Seeded trials per model in the threshold sweep (default 6, the fewest with a 95 % interval; sweep's own default is 20).")
    var trials: Int?

    @Option(help: "Steps of each training run (GD, NGD, Adam; default 10000, --quick 1000).")
    var steps: Int?

    @OptionGroup var gap: GapStepsOption

    @Option(help: "Time limit of each separability decision in the sweep, seconds (default 30, --quick 2; a trial without both certificates is reported as undecided).")
    var sweepTimeLimit: Double?

    @Option(help: "Time limit of the separability decision of each Gaussian condition check, seconds (default 10, also with --quick).")
    var checkTimeLimit: Double?

    @Option(help: "Time limit of each whole-corpus separability decision (one-hot and positional one-hot on every context, whole vocabulary), seconds (default 60; 0 skips them).")
    var wholeCorpusTimeLimit: Double?

    func validate() throws {
        let b = budget
        for (value, flag) in [(b.checkVocab, "--check-vocab"), (b.checkContexts, "--check-contexts"), (b.sweepContexts, "--sweep-contexts"), (b.scaleContexts, "--scale-contexts"),
                              (b.thresholdContexts, "--threshold-contexts"), (b.trials, "--trials"), (b.steps, "--steps")] {
            try OptionCheck.positive(value, flag)
        }
        try OptionCheck.nonNegative(b.sweepMaxVocab, "--sweep-max-vocab")
        try OptionCheck.positive(b.sweepTimeLimit, "--sweep-time-limit")
        try OptionCheck.positive(b.checkTimeLimit, "--check-time-limit")
        try OptionCheck.nonNegative(b.wholeCorpusTimeLimit, "--whole-corpus-time-limit")
    }

    /// "quick" or "standard".
    var preset: String { quick ? "quick" : "standard" }

    /// The preset with the options given on the command line.
    var budget: AnalysisBudget {
        var b = quick ? AnalysisBudget.quick : AnalysisBudget.standard
        if let checkVocab { b.checkVocab = checkVocab }
        if let checkContexts { b.checkContexts = checkContexts }
        if let sweepContexts { b.sweepContexts = sweepContexts }
        if let scaleContexts { b.scaleContexts = scaleContexts }
        if let thresholdContexts { b.thresholdContexts = thresholdContexts }
        if let sweepMaxVocab { b.sweepMaxVocab = sweepMaxVocab }
        if let trials { b.trials = trials }
        if let steps { b.steps = steps }
        if let gapSteps = gap.gapSteps { b.gapSteps = gapSteps }
        if let sweepTimeLimit { b.sweepTimeLimit = sweepTimeLimit }
        if let checkTimeLimit { b.checkTimeLimit = checkTimeLimit }
        if let wholeCorpusTimeLimit { b.wholeCorpusTimeLimit = wholeCorpusTimeLimit }
        return b
    }
}
