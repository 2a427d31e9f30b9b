import ArgumentParser
import NTPReport

struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "The NTP-separability threshold d*/m with nested random embeddings: real supports against null models, for several m.",
        discussion: """
        For each m in --contexts (the first m contexts of --context-choice's ranking) and each trial t, \
        the embedding rows are drawn once with seed SEED+t and each d uses the first d of them \
        (gaussian:d:(SEED+t) is exactly that H, rescaled). Bisection over d finds the smallest separable \
        d*, proven by a verified W at d* and a verified Farkas certificate at d* − 1. A trial missing \
        either certificate is undecided: its d* is an interval, reported on its own and never counted \
        as not separable. Prints per model and m the median d*/m over the decided trials with a 95 % \
        order-statistic confidence interval.

        Null models keep m, V, every support size and the counts, and redraw which tokens form each \
        support: uniform (every k_j-subset equally likely) or frequency (tokens drawn without \
        replacement with probability ∝ their total count in the real data).
        """)

    @OptionGroup var input: DataSetInput
    @OptionGroup var sweep: SweepArguments
    @OptionGroup var selection: ContextSelectionArguments<TrialSeed>
    @OptionGroup var budget: TimeBudget
    @OptionGroup var console: ReportConsole<SweepOutcome>

    @Option(help: "Write one CSV row per (model, m, trial) here, and the per-point summary to the same name with -summary.csv.")
    var csv: String?

    @Option(help: "Write the figure (median d*/m against m with its 95 % CI band) as SVG here.")
    var plot: String?

    @Option(help: "Write every trial's data set (its m contexts with the real or null supports) into this folder as MODEL-mM-tT.npz; `check FILE --embedding gaussian:d:(SEED+t)` then reproduces any decision of trial t.")
    var trialData: String?

    @Option(help: "Write the certificates behind every trial's d* into this folder as MODEL-mM-tT-dD.npz: Farkas multipliers at the largest d found not separable, a W at the smallest d found separable (check each with scripts/verify_certificate.py).")
    var certificates: String?

    func validate() throws { try OptionCheck.positive(budget.seconds(default: 120), "--time-limit") }

    func run() throws {
        let options = try sweep.options(selection: selection, timeLimit: budget.seconds(default: 120))
        var run = ThresholdSweep(data: input.data, options: options,
                                 recordedOptions: sweep.recorded(data: input.data, options, selection: selection),
                                 maxDimension: sweep.maxDim, csv: csv, plot: plot)
        run.trialData = trialData
        run.certificates = certificates
        run.quiet = console.quiet
        try console.emit(try run.run())
    }
}
